"""Serve a published model with onnxruntime + numpy only (what the signal Lambda can afford).

Given ``model.onnx`` and its ``manifest.json`` it reproduces the training pipeline for the last
bar: shared features -> manifest scaler -> (window) -> ONNX -> probability. Training (``ml``)
imports it from here, so the Lambda and the backtests score bars with the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tradeloop_common.features import FEATURE_NAMES, compute_features, feature_windows

# Max |ONNX - Keras| on the manifest's parity batch for the ONNX file to be served (checked at
# publish time, at promotion, and again by the signal Lambda before it loads a model).
PARITY_TOLERANCE = 1e-5


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
        """Probabilities for each row of ``feats`` ([n, k]) that has a full window behind it.

        Rows are scored one at a time: the ONNX kernels then run the same code path for a
        backtest over years as for the Lambda's single bar, so both get bit-identical results.
        """
        inputs = feature_windows(feats, self.window) if self.sequence else feats
        valid = ~np.isnan(inputs).reshape(len(inputs), -1).any(axis=1)
        out = np.full(len(inputs), np.nan)
        scaled = self.scale(inputs[valid])
        scores = [self._run(scaled[i : i + 1]) for i in range(len(scaled))]
        out[valid] = np.asarray(scores, dtype=np.float64)
        return out

    def _run(self, row: np.ndarray) -> float:
        return float(self.session.run(None, {self.input_name: row})[0].reshape(-1)[0])

    def predict_series(
        self, open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray
    ) -> np.ndarray:
        """Probability at every bar of a history (NaN during warm-up), aligned with the bars."""
        feats, _ = compute_features(open_, high, low, close, volume)
        prob = self.predict_features(feats)
        if self.sequence:  # row i of the windows ends at bar i + window - 1
            prob = np.concatenate([np.full(min(self.window - 1, len(close)), np.nan), prob])
        return prob

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
