"""Walk-forward folds: expanding window, purged, cut on the dates every symbol shares.

Fold k trains on dates before its test block, minus a purge gap >= the label horizon (those
labels would read bars inside the block), and predicts the block. Folds are cut on the dates
every symbol shares (the intersection of their date ranges), so each test block scores every
symbol of the universe and no symbol is tested before it has history to train on. Training also
uses each symbol's earlier history (before the common span), which is causal: it ends before the
test block like everything else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ml.features import Samples


@dataclass(frozen=True)
class Split:
    fold: int
    train: np.ndarray  # sample indices
    test: np.ndarray
    test_start: str
    test_end: str
    train_end: str


def common_dates(samples: Samples) -> np.ndarray:
    """Dates on which every symbol has a sample."""
    per_symbol = [samples.dates[samples.symbols == s] for s in np.unique(samples.symbols)]
    common = per_symbol[0]
    for d in per_symbol[1:]:
        common = np.intersect1d(common, d)
    return np.unique(common)


def walk_forward_splits(samples: Samples, folds: int, min_train_frac: float, purge: int) -> list[Split]:
    """Expanding-window splits on the dates all symbols share.

    Test blocks tile the common dates after the first ``min_train_frac`` of them; fold k trains
    on every labelled row (any symbol, any earlier date) before its block except the last
    ``purge`` common dates, whose labels would read bars inside the test block.
    """
    common = common_dates(samples)
    n = len(common)
    first = int(n * min_train_frac)
    if folds < 1 or first <= purge or n - first < folds:
        raise ValueError(
            f"not enough dates shared by all symbols ({n}) for {folds} folds after {min_train_frac:.0%} warm-up"
        )
    bounds = np.linspace(first, n, folds + 1).astype(int)
    splits = []
    for k in range(folds):
        a, b = bounds[k], bounds[k + 1]
        train_cut = common[a - purge]  # train on dates strictly before this one
        train = np.flatnonzero((samples.dates < train_cut) & samples.labeled)
        test = np.flatnonzero((samples.dates >= common[a]) & (samples.dates <= common[b - 1]))
        splits.append(Split(k + 1, train, test, str(common[a]), str(common[b - 1]), str(samples.dates[train].max())))
    return splits


def data_coverage(samples: Samples, splits: list[Split]) -> dict[str, Any]:
    """How the folds were cut, each symbol's sample range, and the label ties left out."""
    per = {}
    for sym in np.unique(samples.symbols):
        mine = samples.symbols == sym
        per[str(sym)] = {
            "first_date": str(samples.dates[mine].min()),
            "last_date": str(samples.dates[mine].max()),
            "rows": int(mine.sum()),
            "unlabelled": int((~samples.labeled[mine]).sum()),
        }
    common = common_dates(samples)
    return {
        "folds_cut_on": "dates shared by every symbol (intersection); training also uses earlier history",
        "common_first": str(common[0]),
        "common_last": str(common[-1]),
        "test_start": splits[0].test_start,
        "test_end": splits[-1].test_end,
        "per_symbol": per,
    }
