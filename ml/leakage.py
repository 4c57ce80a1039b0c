"""Two guards against look-ahead, run on every evaluation.

1. **Causality of the feature code** (before anything is fitted): each feature row computed on the
   bars truncated at t must equal the row computed on the full series at t. A feature that reads a
   later bar (a centred window, a ``shift(-1)``, a normalisation over the whole series) differs and
   the evaluation stops, naming the feature.
2. **The sentinel** (after the walk-forward): out-of-sample results that daily bars do not allow
   (``GateSpec.max_plausible_auc``, ``max_plausible_sharpe``) mean the future reached the inputs some
   other way (the label, a joined column, survivorship). Promotion is refused as "likely look-ahead"
   and permutation importance on the out-of-sample rows names the features the model leans on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

FeatureFn = Callable[..., tuple[np.ndarray, tuple[str, ...]]]
CHECK_POINTS = 8  # truncation points per symbol: a feature that peeks does so at (almost) every bar
MIN_SYMBOL_ROWS = 1000  # a symbol's AUC is judged from this many rows: its standard error is then <= 0.02


class LookAheadError(ValueError):
    """A feature at bar t changes when bars after t are removed."""


def check_feature_causality(
    symbol: str, columns: Sequence[np.ndarray], full: np.ndarray, names: Sequence[str], features: FeatureFn
) -> dict[str, Any]:
    """Recompute the features on ``columns`` (open, high, low, close, volume) truncated at
    ``CHECK_POINTS`` bars spread over the series; every row up to the cut must equal ``full``.

    Raises :class:`LookAheadError` naming the features that differ; returns what was checked."""
    n = len(full)
    # Spread over the series, past the first tenth (warm-up rows are NaN either way) and short of the
    # last bar (cut there, nothing is removed).
    points = np.unique(np.linspace(n // 10, n - 2, CHECK_POINTS).astype(int)) if n > 2 else np.array([], int)
    bad: dict[str, int] = {}
    for t in points:
        cut, _ = features(*(np.asarray(c)[: t + 1] for c in columns))
        # rtol: a user feature built on a running sum may differ in the last bits, never more.
        same = np.isclose(cut, full[: t + 1], rtol=1e-9, atol=1e-12, equal_nan=True).all(axis=0)
        for j in np.flatnonzero(~same):
            bad.setdefault(names[int(j)], int(t))
    if bad:
        where = ", ".join(f"{name} (first at bar {t})" for name, t in bad.items())
        raise LookAheadError(
            f"look-ahead in the feature code: for {symbol}, {where} computed on the bars up to t differs from "
            "the same feature computed on the whole series at t, i.e. it reads bars after t. "
            "Make it use bars <= t only (trailing windows, no centring, no whole-series statistics)."
        )
    return {"symbol": symbol, "points": [int(t) for t in points]}


def permutation_importance(
    predict: Callable[[np.ndarray], np.ndarray],
    inputs: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    seed: int,
) -> list[tuple[str, float]]:
    """AUC lost when one feature is shuffled across the out-of-sample rows, per feature, largest first.

    ``inputs`` is [n, k] or [n, window, k] (the feature is shuffled across rows, whole windows at a
    time); ``predict`` maps inputs to probabilities (all folds' models, each on its own rows)."""
    from sklearn.metrics import roc_auc_score

    labelled = ~np.isnan(y)
    base = float(roc_auc_score(y[labelled].astype(int), predict(inputs)[labelled]))
    rng = np.random.default_rng(seed)
    out = []
    for j, name in enumerate(names):
        shuffled = inputs.copy()
        shuffled[..., j] = inputs[rng.permutation(len(inputs))][..., j]
        auc = float(roc_auc_score(y[labelled].astype(int), predict(shuffled)[labelled]))
        out.append((name, base - auc))
    return sorted(out, key=lambda kv: -kv[1])


def implausible(
    overall: Mapping[str, Any],
    per_symbol: Mapping[str, Mapping[str, Any]],
    max_auc: float,
    max_sharpe: float,
) -> list[str]:
    """Why a model's out-of-sample result is too good for daily bars (empty when it is plausible).

    The pooled AUC and the book's Sharpe ratio, and each symbol's AUC where it rests on at least
    ``MIN_SYMBOL_ROWS`` rows (a leak in one symbol's data is diluted in the pooled AUC). Sharpe is
    judged on the whole out-of-sample book only: one symbol, or one year, can reach 3 by luck
    (buy-and-hold's Sharpe was 3.0 from May 2009 to April 2010 on the sample)."""
    why = []
    auc, sharpe = overall.get("auc"), overall.get("sharpe")
    if auc is not None and np.isfinite(auc) and auc > max_auc:
        why.append(f"AUC {auc:.3f} > {max_auc}")
    if sharpe is not None and np.isfinite(sharpe) and sharpe > max_sharpe:
        why.append(f"Sharpe {sharpe:.2f} > {max_sharpe}")
    for symbol, m in per_symbol.items():
        a = m.get("auc")
        if a is not None and np.isfinite(a) and a > max_auc and int(m.get("n", 0)) >= MIN_SYMBOL_ROWS:
            why.append(f"{symbol} AUC {a:.3f} > {max_auc}")
    return why
