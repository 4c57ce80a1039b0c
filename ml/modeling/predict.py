"""Serving a published model: the code lives in the Lambda layer (``tradeloop_common.predictor``,
onnxruntime + numpy only) so training, backtests and the signal Lambda share one copy."""

from __future__ import annotations

from tradeloop_common.policy import target_weight
from tradeloop_common.predictor import ModelMismatchError, OnnxPredictor

__all__ = ["ModelMismatchError", "OnnxPredictor", "target_weight"]
