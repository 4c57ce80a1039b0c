"""Shared feature code: causal (no look-ahead), finite memory (train/serve parity), numpy only."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ml.dataset import sample_bars
from tradeloop_common.features import FEATURE_NAMES, LOOKBACK, compute_features, feature_windows


def _random_bars(n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.01, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, n))
    volume = rng.uniform(1e5, 1e6, n)
    return open_, high, low, close, volume


@pytest.fixture(scope="module")
def aapl() -> tuple[np.ndarray, ...]:
    b = sample_bars("AAPL")
    return b.open, b.high, b.low, b.close, b.volume


def test_features_shape_names_and_warm_up(aapl: tuple[np.ndarray, ...]) -> None:
    # Given the AAPL sample; When features are computed
    x, names = compute_features(*aapl)
    # Then one column per name, NaN exactly during the warm-up, finite after it
    assert names == FEATURE_NAMES and x.shape == (len(aapl[0]), len(FEATURE_NAMES))
    assert np.isnan(x[: LOOKBACK - 1]).all()
    assert np.isfinite(x[LOOKBACK - 1 :]).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_features_at_t_unchanged_when_any_later_bar_changes(aapl: tuple[np.ndarray, ...], seed: int) -> None:
    # Given features on real bars
    base, _ = compute_features(*aapl)
    rng = np.random.default_rng(seed)
    n = len(aapl[0])
    for t in [LOOKBACK - 2, LOOKBACK - 1, LOOKBACK, *rng.integers(LOOKBACK, n - 1, 8).tolist()]:
        # When every bar after t is replaced by unrelated random bars (all five fields)
        noise = _random_bars(n - t - 1, seed * 1000 + t)
        changed = [np.concatenate([a[: t + 1], z]) for a, z in zip(aapl, noise, strict=True)]
        x, _ = compute_features(*changed)
        # Then every feature at every bar <= t is bit-for-bit unchanged
        np.testing.assert_array_equal(x[: t + 1], base[: t + 1], err_msg=f"look-ahead at t={t}")


def test_features_at_t_do_change_with_bar_t(aapl: tuple[np.ndarray, ...]) -> None:
    # The leakage test above would pass for a constant function: check row t does read bar t.
    t = 1000
    base, _ = compute_features(*aapl)
    bumped = [a.copy() for a in aapl]
    for a in bumped:
        a[t] *= 1.05
    x, _ = compute_features(*bumped)
    changed = ~np.isclose(x[t], base[t])
    assert changed.sum() >= len(FEATURE_NAMES) - 2, [n for n, c in zip(FEATURE_NAMES, changed, strict=True) if not c]


@pytest.mark.parametrize("extra", [0, 1, 37])
def test_features_from_recent_tail_equal_full_history(aapl: tuple[np.ndarray, ...], extra: int) -> None:
    # Given the full history (training) and only the last LOOKBACK + extra bars (the signal Lambda)
    full, _ = compute_features(*aapl)
    tail, _ = compute_features(*(a[-(LOOKBACK + extra) :] for a in aapl))
    # Then the rows the tail can compute equal the training rows
    np.testing.assert_allclose(tail[LOOKBACK - 1 :], full[-(extra + 1) :], rtol=0, atol=1e-12)


def test_features_handle_flat_prices_and_zero_volume() -> None:
    n = LOOKBACK + 20
    ones = np.ones(n)
    x, _ = compute_features(ones, ones, ones, ones, np.zeros(n))
    assert np.isfinite(x[LOOKBACK - 1 :]).all()


def test_features_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        compute_features(np.ones(3), np.ones(3), np.ones(3), np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="> 0"):
        compute_features(np.ones(3), np.ones(3), np.zeros(3), np.ones(3), np.ones(3))


def test_feature_windows_stack_consecutive_rows() -> None:
    x = np.arange(30, dtype=float).reshape(10, 3)
    w = feature_windows(x, 4)
    assert w.shape == (7, 4, 3)
    np.testing.assert_array_equal(w[2], x[2:6])


def test_features_module_needs_neither_pandas_nor_tensorflow() -> None:
    # The signal Lambda ships numpy + onnxruntime only.
    code = (
        "import sys, tradeloop_common.features as f; "
        "bad = [m for m in ('pandas', 'tensorflow', 'keras', 'sklearn', 'ml') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
