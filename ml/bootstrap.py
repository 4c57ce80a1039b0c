"""Stationary bootstrap (Politis & Romano 1994) over trading dates, and the statistics the gate
resamples: AUC of (symbol, date) rows and the annualised Sharpe ratio of daily returns.

Dates, not rows, are resampled, in blocks of random length (geometric, mean ``mean_block``): the
rows of one date move together (the symbols of a day share the market's move) and neighbouring
dates stay neighbours (volatility clusters, and adjacent labels share an open), so the spread of a
resampled statistic keeps the dependence of the data. numpy only; every statistic is computed for
all replicates at once from the count of times each date was drawn."""

from __future__ import annotations

import numpy as np

TRADING_DAYS = 252
CHUNK = 250  # replicates per block of work: bounds memory at CHUNK x rows floats


def default_mean_block(n_dates: int) -> float:
    """n ** (1/3): the order of the block length that estimates a variance best (Hall, Horowitz and
    Jing 1995); about 11 trading days for 1,200 dates."""
    return max(1.0, float(n_dates) ** (1.0 / 3.0))


def stationary_counts(
    n: int, replicates: int, mean_block: float, rng: np.random.Generator, draws: int | None = None
) -> np.ndarray:
    """[replicates, n]: how many times each date is drawn in each stationary-bootstrap replicate.

    A replicate is ``draws`` draws (default n): each starts a new block at a uniform date with
    probability 1 / mean_block, else takes the date after the previous one (wrapping around). Fewer
    draws than dates give windows of that length (the decay monitor's intervals: ml.monitoring)."""
    m = n if draws is None else draws
    new = rng.random((replicates, m)) < 1.0 / mean_block
    new[:, 0] = True
    starts = rng.integers(0, n, size=(replicates, m))
    steps = np.arange(m)
    block_start = np.where(new, steps, 0)
    np.maximum.accumulate(block_start, axis=1, out=block_start)
    idx = (np.take_along_axis(starts, block_start, axis=1) + steps - block_start) % n
    flat = (idx + n * np.arange(replicates)[:, None]).ravel()
    return np.bincount(flat, minlength=replicates * n).reshape(replicates, n).astype(np.float64)


def weighted_auc(score: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC of ``score`` for binary ``y`` with row weights ``weights`` ([B, n]), for each row of weights.

    The Mann-Whitney count with weights: a positive beats each lower-scored negative and half-beats
    each tied one. Rows are sorted once; ties are grouped, so equal scores count exactly 1/2."""
    order = np.argsort(score, kind="mergesort")
    s, positive = score[order], y[order] == 1
    step = np.flatnonzero(np.diff(s) != 0)
    ends = np.append(step, len(s) - 1)  # last position of each group of equal scores
    group = np.concatenate([[0], np.cumsum(np.diff(s) != 0)])
    w = weights[:, order]
    neg = np.where(positive, 0.0, w)
    pos = np.where(positive, w, 0.0)
    through = np.cumsum(neg, axis=1)[:, ends]  # negatives scored <= each group
    below = np.concatenate([np.zeros((len(w), 1)), through[:, :-1]], axis=1)
    credit = 0.5 * (below + through)  # strictly below, plus half of the tied negatives
    num = (pos * credit[:, group]).sum(axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def auc_replicates(score: np.ndarray, y: np.ndarray, row_date: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """AUC in each replicate: a row weighs as many times as its date was drawn."""
    out = np.empty(len(counts))
    for a in range(0, len(counts), CHUNK):
        out[a : a + CHUNK] = weighted_auc(score, y, counts[a : a + CHUNK][:, row_date])
    return out


def sharpe_replicates(returns: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Annualised Sharpe ratio (rf = 0, sample sd) of the daily ``returns`` in each replicate."""
    r = np.asarray(returns, dtype=np.float64)
    n = counts.sum(axis=1)
    mean = counts @ r / n
    var = (counts @ (r * r) / n - mean**2) * n / (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 1e-30, np.sqrt(TRADING_DAYS) * mean / np.sqrt(np.maximum(var, 1e-300)), 0.0)
