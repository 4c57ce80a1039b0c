"""The serving helper (onnxruntime + numpy): manifest scaler, windows, policy, and refusals.

Uses a hand-built ONNX logistic model, so this runs without TensorFlow."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from signal_fixtures import logistic_onnx as _logistic_onnx

from ml.dataset import sample_bars
from ml.modeling.predict import ModelMismatchError, OnnxPredictor, target_weight
from tradeloop_common.features import FEATURE_NAMES, LOOKBACK, compute_features


def _manifest(kind: str, window: int, mean: np.ndarray, std: np.ndarray) -> dict[str, Any]:
    return {
        "version": "test",
        "model": {"kind": kind},
        "features": {"names": list(FEATURE_NAMES), "window": window, "bars_needed": LOOKBACK + window - 1},
        "scaler": {"mean": mean.tolist(), "std": std.tolist(), "clip": 5.0},
    }


@pytest.mark.parametrize(("kind", "window"), [("mlp", 1), ("conv_lstm", 6)])
def test_predict_last_applies_features_scaler_and_model(kind: str, window: int) -> None:
    # Given a model whose output we can compute by hand
    bars = sample_bars("MSFT")
    feats, _ = compute_features(bars.open, bars.high, bars.low, bars.close, bars.volume)
    valid = feats[LOOKBACK:]
    mean, std = valid.mean(axis=0), valid.std(axis=0)
    w = np.linspace(-0.5, 0.5, len(FEATURE_NAMES))
    seq = window if kind == "conv_lstm" else None
    predictor = OnnxPredictor(_logistic_onnx(w, 0.1, seq), _manifest(kind, window, mean, std))
    # When it scores the last bar from just the bars it needs
    n = LOOKBACK + window - 1
    got = predictor.predict_last(bars.open[-n:], bars.high[-n:], bars.low[-n:], bars.close[-n:], bars.volume[-n:])
    # Then it equals sigmoid(w . clip((x - mean) / std) + b) on the training-time features of that bar
    z = np.clip((feats[-1] - mean) / std, -5, 5).astype(np.float32)
    expected = 1 / (1 + np.exp(-(float(z @ w.astype(np.float32)) + 0.1)))
    assert got == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ValueError, match="need at least"):
        predictor.predict_last(bars.open[-5:], bars.high[-5:], bars.low[-5:], bars.close[-5:], bars.volume[-5:])


def test_manifest_for_other_features_is_refused() -> None:
    k = len(FEATURE_NAMES)
    manifest = _manifest("mlp", 1, np.zeros(k), np.ones(k))
    manifest["features"]["names"] = ["something_else", *FEATURE_NAMES[1:]]
    with pytest.raises(ModelMismatchError, match="trained on features"):
        OnnxPredictor(_logistic_onnx(np.zeros(k), 0.0), manifest)


def test_target_weight_policy_has_hysteresis() -> None:
    policy = {"enter": 0.52, "exit": 0.48, "weight_when_long": 0.25}
    assert target_weight(0.60, 0.0, policy) == 0.25
    assert target_weight(0.40, 0.25, policy) == 0.0
    assert target_weight(0.50, 0.25, policy) == 0.25 and target_weight(0.50, 0.0, policy) == 0.0
