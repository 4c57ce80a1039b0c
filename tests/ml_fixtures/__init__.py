"""Helpers for the ML integration tests (importable because tests/ is on sys.path via tests/conftest.py).

Each module gets its own buckets inside the shared emulator (``aws_env``), so the bars the
other services' tests rely on are never overwritten by ML ingests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest

from ml.config import TrainConfig
from ml.dataset import Bars


def tiny_config(**changes: Any) -> TrainConfig:
    """Seconds, not minutes: two symbols, two folds, one-epoch fits, short windows."""
    base = replace(
        TrainConfig(),
        symbols=("IBM", "MSFT"),
        folds=2,
        epochs=2,
        window=5,
        patience=1,
        candidates=("mlp",),
        verbose=0,
    )
    return replace(base, **changes)


TINY_ARGS = "--symbols IBM,MSFT --folds 2 --epochs 2 --window 5 --patience 1 --candidates mlp --quiet"


@contextmanager
def ml_buckets(tmp: Path) -> Iterator[dict[str, str]]:
    """Fresh data/models buckets and a model name, exported as the TRADELOOP_* variables."""
    suffix = uuid.uuid4().hex[:10]
    names = {
        "TRADELOOP_DATA_BUCKET": f"mltest-data-{suffix}",
        "TRADELOOP_MODELS_BUCKET": f"mltest-models-{suffix}",
        "TRADELOOP_MODEL_NAME": f"model-{suffix}",
        "TRADELOOP_ML_WORKDIR": str(tmp),
    }
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=names["TRADELOOP_DATA_BUCKET"])
    s3.create_bucket(Bucket=names["TRADELOOP_MODELS_BUCKET"])
    with pytest.MonkeyPatch.context() as mp:
        for k, v in names.items():
            mp.setenv(k, v)
        yield names


def random_walk_bars(symbol: str, days: int, seed: int) -> Bars:
    """Daily bars with no skill to find: overnight gaps and intraday moves are independent draws
    (drift 5 %/yr, volatility 23 %/yr), so open[t+2]/open[t+1] owes nothing to bars <= t."""
    rng = np.random.default_rng(seed)
    gap, day = rng.normal(1e-4, 0.006, days), rng.normal(1e-4, 0.0135, days)
    log_open = np.log(50.0) + np.concatenate([[0.0], np.cumsum(gap[1:] + day[:-1])])
    o, c = np.exp(log_open), np.exp(log_open + day)
    high = np.maximum(o, c) * np.exp(np.abs(rng.normal(0, 0.004, days)))
    low = np.minimum(o, c) * np.exp(-np.abs(rng.normal(0, 0.004, days)))
    dates = np.busday_offset(np.datetime64("2000-01-03"), np.arange(days), roll="forward")
    return Bars(symbol, dates, o, high, low, c, rng.lognormal(13, 0.3, days))
