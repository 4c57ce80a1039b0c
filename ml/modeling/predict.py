"""Serve a published model with onnxruntime + numpy only (what the signal Lambda can afford).

Imports nothing from ``ml`` on purpose: this module can move into the Lambda layer as is.
Given ``model.onnx`` and its ``manifest.json`` it reproduces the training pipeline for the
last bar: shared features -> manifest scaler -> (window) -> ONNX -> probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tradeloop_common.features import FEATURE_NAMES, compute_features, feature_windows


class ModelMismatchError(ValueError):
    """The manifest does not describe the feature code this process runs."""


class OnnxPredictor:
    def __init__(self, onnx_bytes: bytes, manifest: dict[str, Any]) -> None:
        import onnxruntime as ort

        features = manifest["features"]
        if list(features["names"]) != list(FEATURE_NAMES):
            raise ModelMismatchError(
                f"model {manifest.get('version')} was trained on features {features['names']}, "
                f"this code computes {list(FEATURE_NAMES)}"
            )
        scaler = manifest["scaler"]
        self.mean = np.asarray(scaler["mean"], dtype=np.float64)
        self.std = np.asarray(scaler["std"], dtype=np.float64)
        self.clip = float(scaler["clip"])
        self.window = int(features.get("window") or 1)
        self.sequence = manifest["model"]["kind"] == "conv_lstm"
        self.bars_needed = int(features["bars_needed"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one Lambda vCPU; avoids thread start-up cost
        self.session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def scale(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=np.float64) - self.mean) / self.std
        return np.clip(z, -self.clip, self.clip).astype(np.float32)

    def predict_features(self, feats: np.ndarray) -> np.ndarray:
        """Probabilities for each row of ``feats`` ([n, k]) that has a full window behind it."""
        if self.sequence:
            inputs = feature_windows(feats, self.window)
        else:
            inputs = feats
        valid = ~np.isnan(inputs).reshape(len(inputs), -1).any(axis=1)
        out = np.full(len(inputs), np.nan)
        if valid.any():
            out[valid] = self.session.run(None, {self.input_name: self.scale(inputs[valid])})[0].reshape(-1)
        return out

    def predict_last(
        self,
        open_: Sequence[float] | np.ndarray,
        high: Sequence[float] | np.ndarray,
        low: Sequence[float] | np.ndarray,
        close: Sequence[float] | np.ndarray,
        volume: Sequence[float] | np.ndarray,
    ) -> float:
        """Probability that the next open -> following open return is positive, from the last bars.

        Pass at least ``bars_needed`` bars, oldest first, the last one being the bar just closed.
        """
        if len(close) < self.bars_needed:
            raise ValueError(f"need at least {self.bars_needed} bars, got {len(close)}")
        tail = slice(len(close) - self.bars_needed, None)
        feats, _ = compute_features(*(np.asarray(a, dtype=np.float64)[tail] for a in (open_, high, low, close, volume)))
        prob = self.predict_features(feats)[-1]
        if not np.isfinite(prob):
            raise ValueError("features are not finite for the last bar")
        return float(prob)


def target_weight(probability: float, current_weight: float, policy: dict[str, Any]) -> float:
    """The manifest's policy: long above ``enter``, flat below ``exit``, else keep (hysteresis)."""
    if probability > float(policy["enter"]):
        return float(policy["weight_when_long"])
    if probability < float(policy["exit"]):
        return 0.0
    return current_weight
