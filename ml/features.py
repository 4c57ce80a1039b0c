"""Sample table for training: shared features (``tradeloop_common.features``) + labels, all symbols.

Rows are (symbol, bar t) with a complete feature window; they are sorted by (date, symbol)
so that "earlier index" means "earlier or same date" for every split below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ml.config import LabelSpec
from ml.dataset import Bars
from ml.labels import forward_open_return, make_labels
from ml.leakage import FeatureFn, check_feature_causality
from tradeloop_common.features import FEATURE_NAMES, LOOKBACK, compute_features, feature_windows


@dataclass
class Samples:
    x: np.ndarray  # [n, k] features at t (float32)
    seq: np.ndarray  # [n, window, k] feature rows t-window+1..t (float32)
    y: np.ndarray  # [n] 1/0, NaN where no label (dead zone, last bars)
    fwd: np.ndarray  # [n] open[t+2]/open[t+1]-1
    dates: np.ndarray  # [n] datetime64[D] of bar t
    symbols: np.ndarray  # [n] str
    bar_index: np.ndarray  # [n] t within the symbol's bars
    feature_names: tuple[str, ...]
    window: int
    causality: list[dict[str, object]] = field(default_factory=list)  # what the look-ahead check covered

    def __len__(self) -> int:
        return len(self.y)

    @property
    def labeled(self) -> np.ndarray:
        return ~np.isnan(self.y)

    def take(self, idx: np.ndarray) -> Samples:
        return Samples(
            self.x[idx],
            self.seq[idx],
            self.y[idx],
            self.fwd[idx],
            self.dates[idx],
            self.symbols[idx],
            self.bar_index[idx],
            self.feature_names,
            self.window,
            self.causality,
        )


def first_valid_bar(window: int) -> int:
    """Index of the first bar with a complete window of feature rows."""
    return LOOKBACK - 1 + window - 1


def build_samples(bars: dict[str, Bars], label: LabelSpec, window: int, features: FeatureFn | None = None) -> Samples:
    """Features and labels of every symbol; the feature code is checked for look-ahead first
    (``ml.leakage.check_feature_causality``: a feature that reads later bars stops everything here).

    ``features`` defaults to the shared ``tradeloop_common.features.compute_features`` (what the
    signal Lambda runs); tests pass others."""
    features = features or compute_features
    parts: list[Samples] = []
    checked: list[dict[str, object]] = []
    start = first_valid_bar(window)
    names: tuple[str, ...] = FEATURE_NAMES
    for symbol, b in sorted(bars.items()):
        columns = (b.open, b.high, b.low, b.close, b.volume)
        feats, names = features(*columns)
        checked.append(check_feature_causality(symbol, columns, feats, names, features))
        if len(b) <= start:
            continue
        seq = feature_windows(feats, window)  # seq[i] ends at bar i + window - 1
        t = np.arange(start, len(b))
        parts.append(
            Samples(
                x=feats[t].astype(np.float32),
                seq=seq[t - window + 1].astype(np.float32),
                y=make_labels(b.open, label)[t],
                fwd=forward_open_return(b.open)[t],
                dates=b.dates[t],
                symbols=np.full(len(t), symbol),
                bar_index=t,
                feature_names=names,
                window=window,
            )
        )
    if not parts:
        raise ValueError(f"no symbol has more than {start} bars (feature warm-up + window)")
    arrays = {
        f: np.concatenate([getattr(p, f) for p in parts])
        for f in ("x", "seq", "y", "fwd", "dates", "symbols", "bar_index")
    }
    cat = Samples(
        **arrays,
        feature_names=names,
        window=window,
        causality=checked,
    )
    order = np.lexsort((cat.symbols, cat.dates))
    return cat.take(order)
