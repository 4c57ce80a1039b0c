"""Fit candidates with fixed seeds. TensorFlow is imported only when a Keras candidate is fitted."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ml.config import TrainConfig
from ml.features import Samples

KERAS_CANDIDATES = ("mlp", "conv_lstm")
BASELINES = ("logistic",)
CLIP = 5.0  # standardised features are clipped: one crash day must not dominate a fit


@dataclass
class Scaler:
    mean: np.ndarray
    std: np.ndarray
    clip: float = CLIP

    @classmethod
    def fit(cls, x: np.ndarray) -> Scaler:
        x64 = x.astype(np.float64)
        std = x64.std(axis=0)
        return cls(x64.mean(axis=0), np.where(std > 1e-12, std, 1.0))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Works on [n, k] and [n, window, k]: the last axis is the feature axis."""
        z = (x.astype(np.float64) - self.mean) / self.std
        return np.clip(z, -self.clip, self.clip).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist(), "clip": self.clip}


@dataclass
class Fitted:
    name: str
    scaler: Scaler
    model: Any  # keras.Model or sklearn estimator
    epochs: int = 0
    seconds: float = 0.0
    history: dict[str, list[float]] = field(default_factory=dict)

    @property
    def is_sequence(self) -> bool:
        return self.name == "conv_lstm"

    def inputs(self, s: Samples) -> np.ndarray:
        return self.scaler.transform(s.seq if self.is_sequence else s.x)

    def predict(self, s: Samples) -> np.ndarray:
        return self.predict_raw(s.seq if self.is_sequence else s.x)

    def predict_raw(self, raw: np.ndarray) -> np.ndarray:
        """Probabilities for unscaled feature rows ([n, k], or [n, window, k] for the sequence model)."""
        if len(raw) == 0:
            return np.empty(0)
        x = self.scaler.transform(raw)
        if self.name in BASELINES:
            return self.model.predict_proba(x)[:, 1]
        # A direct call, not predict(): predict() re-traces a tf.function per new model/shape.
        return np.asarray(self.model(x, training=False)).reshape(-1).astype(np.float64)


def _tf_setup(seed: int) -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TF C++ chatter drowns the progress lines
    import keras
    import tensorflow as tf

    # Small machine shared with others, and reproducibility over speed.
    if not getattr(_tf_setup, "_done", False):
        try:
            tf.config.threading.set_intra_op_parallelism_threads(2)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass  # TF already ran an op in this process (e.g. a model was loaded): its pools are fixed
        tf.config.experimental.enable_op_determinism()
        _tf_setup._done = True  # type: ignore[attr-defined]
    keras.utils.set_random_seed(seed)
    return keras


def build_keras(name: str, n_features: int, window: int, learning_rate: float) -> Any:
    import keras
    from keras import layers

    if name == "mlp":
        model = keras.Sequential(
            [
                keras.Input((n_features,), name="features"),
                layers.Dense(32, activation="relu"),
                layers.Dropout(0.2),
                layers.Dense(16, activation="relu"),
                layers.Dense(1, activation="sigmoid"),
            ],
            name="mlp",
        )
    elif name == "conv_lstm":
        model = keras.Sequential(
            [
                keras.Input((window, n_features), name="features"),
                layers.Conv1D(16, 3, activation="relu"),
                layers.LSTM(16),
                layers.Dropout(0.2),
                layers.Dense(1, activation="sigmoid"),
            ],
            name="conv_lstm",
        )
    else:
        raise ValueError(f"unknown Keras candidate {name!r}; choose from {KERAS_CANDIDATES}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc")],
    )
    return model


def _inner_split(train: Samples, purge: int, frac: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Early-stopping split by date: the last ``frac`` of dates, ``purge`` dates after the fit part."""
    dates = np.unique(train.dates)
    cut = int(len(dates) * (1 - frac))
    fit_idx = np.flatnonzero(train.dates < dates[max(cut - purge, 1)])
    val_idx = np.flatnonzero(train.dates >= dates[min(cut, len(dates) - 1)])
    return fit_idx, val_idx


def fit_candidate(name: str, train: Samples, cfg: TrainConfig, seed_offset: int = 0) -> Fitted:
    """Fit ``name`` on the labelled rows of ``train``; the scaler sees training rows only."""
    t0 = time.perf_counter()
    train = train.take(np.flatnonzero(train.labeled))
    scaler = Scaler.fit(train.x)
    if name == "logistic":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(scaler.transform(train.x), train.y.astype(int))
        return Fitted(name, scaler, model, seconds=time.perf_counter() - t0)

    keras = _tf_setup(cfg.seed + seed_offset)
    fitted = Fitted(name, scaler, build_keras(name, train.x.shape[1], train.window, cfg.learning_rate))
    fit_idx, val_idx = _inner_split(train, cfg.purge)
    fit_s, val_s = train.take(fit_idx), train.take(val_idx)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience, restore_best_weights=True)
    hist = fitted.model.fit(
        fitted.inputs(fit_s),
        fit_s.y.astype(np.float32),
        validation_data=(fitted.inputs(val_s), val_s.y.astype(np.float32)),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        shuffle=True,
        callbacks=[stop],
        verbose=cfg.verbose,
    )
    fitted.history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    losses = fitted.history.get("val_loss", [])
    fitted.epochs = int(np.argmin(losses)) + 1 if losses else cfg.epochs
    fitted.seconds = time.perf_counter() - t0
    return fitted
