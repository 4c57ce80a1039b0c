"""Price/volume features shared by training (``ml``) and the signal Lambda.

numpy only: the signal Lambda ships without pandas or TensorFlow.

Two properties matter more than the choice of features:

* **Causal.** The feature row at bar ``t`` is a function of bars ``<= t`` only, so a model
  trained on it never sees the future (``tests/unit/test_ml_features.py`` perturbs every
  bar after ``t`` and checks row ``t`` is unchanged).
* **Finite memory.** Every feature reads a fixed window of at most ``LOOKBACK`` bars. The
  usual recursive EMA (RSI, MACD) remembers the whole series, so the Lambda, which only
  reads the recent bars, would compute different values than training did on the full
  history. Here the EMAs are truncated to a fixed window, so the last row computed from
  the last ``LOOKBACK`` bars equals the same row computed from the full history.

Rows before the warm-up (``t < LOOKBACK - 1``) are NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

RETURN_HORIZONS: tuple[int, ...] = (1, 5, 10, 20)
VOL_WINDOWS: tuple[int, ...] = (10, 20)
RSI_WINDOW = 14
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
# An EMA of span s keeps (1 - 2/(s+1))**(4s) ~ 0.02 % of its weight beyond 4*s bars:
# truncating there changes the indicator negligibly and bounds its memory.
EMA_TRUNCATION = 4
MA_WINDOWS: tuple[int, ...] = (10, 50)
VOLUME_Z_WINDOW = 20
_EPS = 1e-12

FEATURE_NAMES: tuple[str, ...] = (
    *(f"ret_{h}" for h in RETURN_HORIZONS),
    *(f"vol_{w}" for w in VOL_WINDOWS),
    f"rsi_{RSI_WINDOW}",
    "macd",
    "macd_signal",
    "macd_hist",
    *(f"ma_ratio_{w}" for w in MA_WINDOWS),
    f"volume_z_{VOLUME_Z_WINDOW}",
    "gap",
    "range",
)

FEATURE_PARAMS: dict[str, object] = {
    "return_horizons": list(RETURN_HORIZONS),
    "vol_windows": list(VOL_WINDOWS),
    "rsi_window": RSI_WINDOW,
    "macd": [MACD_FAST, MACD_SLOW, MACD_SIGNAL],
    "ema_truncation": EMA_TRUNCATION,
    "ma_windows": list(MA_WINDOWS),
    "volume_z_window": VOLUME_Z_WINDOW,
}


def _ema_len(span: int) -> int:
    return EMA_TRUNCATION * span


# Bars needed for the first complete row: the MACD signal line is an EMA (window
# 4*9) of the MACD line, itself an EMA (window 4*26) of closes.
LOOKBACK: int = max(
    max(RETURN_HORIZONS) + 1,
    max(VOL_WINDOWS) + 1,
    RSI_WINDOW + 1,
    _ema_len(MACD_SLOW) + _ema_len(MACD_SIGNAL) - 1,
    max(MA_WINDOWS),
    VOLUME_Z_WINDOW,
    2,
)


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """x[t - k], NaN where t < k."""
    out = np.full_like(x, np.nan)
    if k < len(x):
        out[k:] = x[: len(x) - k]
    return out


def _rolling(x: np.ndarray, window: int, fn: str) -> np.ndarray:
    """Trailing-window mean/std/sum over ``x[t-window+1 .. t]``; NaN during warm-up.

    Each window is reduced on its own (no running sum), so a row's value is bit-for-bit
    the same whether computed on the full history or on a tail of it.
    """
    out = np.full(len(x), np.nan)
    if len(x) >= window:
        view = sliding_window_view(x, window)
        if fn == "mean":
            out[window - 1 :] = view.mean(axis=1)
        elif fn == "std":
            out[window - 1 :] = view.std(axis=1, ddof=1)
        elif fn == "sum":
            out[window - 1 :] = view.sum(axis=1)
        else:  # pragma: no cover - internal misuse
            raise ValueError(fn)
    return out


def _ema(x: np.ndarray, span: int) -> np.ndarray:
    """EMA with weights truncated to ``EMA_TRUNCATION * span`` bars and renormalised."""
    n = _ema_len(span)
    alpha = 2.0 / (span + 1.0)
    # weights[j] applies to x[t - n + 1 + j]: oldest first, newest last.
    weights = (1.0 - alpha) ** np.arange(n - 1, -1, -1, dtype=np.float64)
    weights /= weights.sum()
    out = np.full(len(x), np.nan)
    if len(x) >= n:
        out[n - 1 :] = sliding_window_view(x, n) @ weights
    return out


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    # A flat window (zero std) carries no information: map it to 0, keep warm-up NaNs.
    return np.where(np.isfinite(den) & (np.abs(den) < _EPS), 0.0, out)


def compute_features(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Feature matrix ``[n, len(FEATURE_NAMES)]`` (float64) for daily OHLCV bars.

    Inputs are 1-d arrays of equal length, oldest bar first, prices > 0. Row ``t`` uses
    bars ``t - LOOKBACK + 1 .. t`` only; rows ``t < LOOKBACK - 1`` are NaN.
    """
    o, h, lo, c, v = (np.asarray(a, dtype=np.float64) for a in (open_, high, low, close, volume))
    n = len(c)
    if not all(len(a) == n for a in (o, h, lo, v)):
        raise ValueError("open, high, low, close and volume must have the same length")
    if n and (np.nanmin(np.concatenate([o, h, lo, c])) <= 0):
        raise ValueError("prices must be > 0")

    log_c = np.log(c)
    r1 = log_c - _shift(log_c, 1)
    cols: list[np.ndarray] = [log_c - _shift(log_c, k) for k in RETURN_HORIZONS]

    # Daily-return volatility; the first return needs bar t-1, hence window + 1 bars.
    cols += [_rolling(r1, w, "std") for w in VOL_WINDOWS]

    # Cutler's RSI (simple averages): Wilder's recursive smoothing has infinite memory.
    diff = c - _shift(c, 1)
    gain = _rolling(np.where(diff > 0, diff, 0.0), RSI_WINDOW, "mean")
    loss = _rolling(np.where(diff < 0, -diff, 0.0), RSI_WINDOW, "mean")
    with np.errstate(divide="ignore", invalid="ignore"):
        rsi = np.where(loss + gain > 0, gain / (gain + loss), 0.5)
    rsi = np.where(np.isnan(gain) | np.isnan(loss), np.nan, rsi)
    cols.append(rsi - 0.5)  # centred, in [-0.5, 0.5]

    # MACD normalised by price, so it is comparable across symbols and decades.
    macd_line = _ema(c, MACD_FAST) - _ema(c, MACD_SLOW)
    macd = macd_line / c
    signal = _ema(macd, MACD_SIGNAL)
    cols += [macd, signal, macd - signal]

    cols += [c / _rolling(c, w, "mean") - 1.0 for w in MA_WINDOWS]

    log_v = np.log1p(np.maximum(v, 0.0))
    cols.append(_safe_div(log_v - _rolling(log_v, VOLUME_Z_WINDOW, "mean"), _rolling(log_v, VOLUME_Z_WINDOW, "std")))

    cols.append(np.log(o) - _shift(log_c, 1))  # overnight gap into bar t
    cols.append((h - lo) / c)  # intraday range of bar t

    x = np.column_stack(cols) if n else np.empty((0, len(FEATURE_NAMES)))
    # One warm-up boundary for all columns, so "row is complete" is a single rule.
    x[: min(LOOKBACK - 1, n)] = np.nan
    return x, FEATURE_NAMES


def feature_windows(x: np.ndarray, window: int) -> np.ndarray:
    """Stack rows ``t-window+1 .. t`` of ``x`` into ``[n - window + 1, window, k]`` (sequence models)."""
    if len(x) < window:
        return np.empty((0, window, x.shape[1]), dtype=x.dtype)
    return np.ascontiguousarray(sliding_window_view(x, window, axis=0).transpose(0, 2, 1))
