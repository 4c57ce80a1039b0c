"""Feature drift: does the live model see inputs like the ones it was trained on?

**Statistic**: the population stability index (PSI) of each feature, over the last
``window_sessions`` sessions of the model's universe (every symbol's feature rows pooled: 60
sessions x 4 symbols = 240 rows), against the decile bins of the model's *training* rows:

    PSI = sum over bins b of (a_b - e_b) * ln(a_b / e_b)

with ``e_b`` the training share of bin b and ``a_b`` the live share, both smoothed by half a row per
bin (Jeffreys), so an empty bin costs a finite amount. The bins (quantile edges, computed on the
training rows only) are stored in the manifest (``monitoring.drift``) at publish time.

**Why the conventional levels (PSI < 0.1 stable, 0.1-0.25 warn, > 0.25 halt) are not applied to
PSI itself**: they were made for independent draws from a stable population (credit scoring).
Daily market features come in regimes: measured on the offline sample (2000-2013, reference
before 2008-06), the *median* 60-session window inside the training period already has a
largest-feature PSI of 0.97 (vol_20: 0.86), so the convention would halt for ever on data the model
was trained on. Each feature is therefore judged against its own **training envelope**: the 99th
percentile of the PSI of every ``window_sessions`` window of the training rows against the same
bins (what the training data itself shows 1 % of the time). The drift of a feature is its
**excess**, PSI - envelope, and the conventional levels apply to the excess:

- excess <= ``WARN_EXCESS`` (0.10): stable, the window looks like the windows training contained;
- ``WARN_EXCESS`` < excess <= ``HALT_EXCESS`` (0.25): warn (alert; trading goes on);
- excess > ``HALT_EXCESS``: halt, the signal service HOLDs new entries for the model (exits trade).

Measured on the sample (``tests/unit/test_drift.py``): reference and envelopes from a model's
training rows 2000-2010, every 60-session window of 2011-2013 unshifted: no halt in 484 windows,
warnings on 5.8 % of them (macd_hist, windows ending 2012-08-21 .. 2012-10-01 less one quiet
day: two episodes, up to +0.21); ret_1, ret_5, volume_z_20 or gap shifted by one training standard
deviation: every window halts. The volatility features' envelopes are wide (training holds the 2008
windows): a volatility the training data saw in a crisis is not drift by this statistic, by design.

numpy only: the signal Lambda imports it, and so does ``ml`` (the reference) and the backtest's
live-execution mode (the same halt on the same bars)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from tradeloop_common.dal.bars import Bars
from tradeloop_common.features import LOOKBACK, compute_features
from tradeloop_common.models.health import DriftLevel, DriftStatus, FeatureDrift

STATISTIC = "psi_excess"
BINS = 10  # deciles of the training rows
WINDOW_SESSIONS = 60  # about a quarter: 240 rows for four symbols
ENVELOPE_QUANTILE = 0.99
WARN_EXCESS = 0.10
HALT_EXCESS = 0.25
PSEUDO_COUNT = 0.5  # per bin, live and training alike
# A thinner window than the envelope was measured on is noisier than it: no verdict below this share.
MIN_ROWS_SHARE = 0.9


@dataclass(frozen=True)
class FeatureReference:
    name: str
    edges: tuple[float, ...]  # inner quantile edges, ascending, no repeats (ties merge bins)
    expected: tuple[float, ...]  # smoothed training share of each bin (len(edges) + 1)
    envelope: float  # ENVELOPE_QUANTILE of the training windows' PSI


@dataclass(frozen=True)
class DriftReference:
    features: tuple[FeatureReference, ...]
    window_sessions: int
    symbols: tuple[str, ...]
    envelope_quantile: float
    training: Mapping[str, Any]  # first_date, last_date, rows, windows: what the bins describe

    @property
    def rows_needed(self) -> int:
        return int(np.ceil(MIN_ROWS_SHARE * self.window_sessions * len(self.symbols)))

    def to_manifest(self) -> dict[str, Any]:
        return {
            "statistic": STATISTIC,
            "bins": BINS,
            "window_sessions": self.window_sessions,
            "envelope_quantile": self.envelope_quantile,
            "symbols": list(self.symbols),
            "training": dict(self.training),
            "features": {
                f.name: {"edges": list(f.edges), "expected": list(f.expected), "envelope": f.envelope}
                for f in self.features
            },
        }

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> DriftReference | None:
        """The manifest's reference; None for a model published before drift monitoring. Raises
        ValueError when it is there but unusable."""
        raw = (manifest.get("monitoring") or {}).get("drift")
        if not raw:
            return None
        try:
            names = list(manifest["features"]["names"])
            feats = raw["features"]
            features = tuple(
                FeatureReference(
                    name,
                    tuple(float(e) for e in feats[name]["edges"]),
                    tuple(float(p) for p in feats[name]["expected"]),
                    float(feats[name]["envelope"]),
                )
                for name in names
            )
            ref = cls(
                features,
                int(raw["window_sessions"]),
                tuple(str(s) for s in raw["symbols"]),
                float(raw["envelope_quantile"]),
                dict(raw.get("training") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"monitoring.drift of the manifest is unreadable: {exc!r}") from exc
        for f in ref.features:
            if len(f.expected) != len(f.edges) + 1 or list(f.edges) != sorted(set(f.edges)):
                raise ValueError(f"monitoring.drift.features.{f.name}: edges and expected shares do not match")
        if ref.window_sessions < 1 or not ref.symbols:
            raise ValueError("monitoring.drift: window_sessions and symbols are required")
        return ref


# ------------------------------------------------------------------------------------ PSI


def smoothed_shares(counts: np.ndarray) -> np.ndarray:
    """Bin shares with PSEUDO_COUNT rows added to each bin (last axis = bins)."""
    c = np.asarray(counts, dtype=np.float64)
    return (c + PSEUDO_COUNT) / (c.sum(axis=-1, keepdims=True) + PSEUDO_COUNT * c.shape[-1])


def psi(counts: np.ndarray, expected: Sequence[float] | np.ndarray) -> np.ndarray:
    """PSI of live bin ``counts`` (last axis = bins; any leading axes, e.g. windows) against ``expected``."""
    a, e = smoothed_shares(counts), np.asarray(expected, dtype=np.float64)
    return np.asarray(((a - e) * np.log(a / e)).sum(axis=-1))


def bin_index(values: np.ndarray, edges: Sequence[float] | np.ndarray) -> np.ndarray:
    """Bin of each value: b such that edges[b-1] <= v < edges[b] (the same rule at training and live)."""
    return np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")


def bin_counts(values: np.ndarray, edges: Sequence[float] | np.ndarray) -> np.ndarray:
    return np.bincount(bin_index(values, edges), minlength=len(edges) + 1).astype(np.float64)


# ------------------------------------------------------------------------ the reference


def _window_psi(day_of_row: np.ndarray, bins: np.ndarray, n_days: int, n_bins: int, window: int, expected: np.ndarray):
    """PSI of every run of ``window`` consecutive days (rows pooled), from per-day bin counts."""
    per_day = np.zeros((n_days, n_bins))
    np.add.at(per_day, (day_of_row, bins), 1.0)
    running = np.vstack([np.zeros((1, n_bins)), np.cumsum(per_day, axis=0)])
    ends = np.arange(window, n_days + 1)
    return psi(running[ends] - running[ends - window], expected)


def build_reference(
    x: np.ndarray,
    dates: np.ndarray,
    symbols: np.ndarray,
    names: Sequence[str],
    window_sessions: int = WINDOW_SESSIONS,
    bins: int = BINS,
    envelope_quantile: float = ENVELOPE_QUANTILE,
) -> DriftReference:
    """The reference of a model from its TRAINING rows (``x`` [n, k], one row per symbol and date):
    decile edges and shares per feature, and each feature's envelope, measured on every window of
    ``window_sessions`` consecutive dates on which every symbol has a row (as live windows do)."""
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(x).all(axis=1)
    x, dates, symbols = x[ok], np.asarray(dates)[ok], np.asarray(symbols)[ok]
    universe = sorted({str(s) for s in symbols})
    days, per_day = np.unique(dates, return_counts=True)
    full = days[per_day == len(universe)]
    if len(full) < window_sessions + 1:
        raise ValueError(
            f"drift reference: {len(full)} training dates hold every symbol, fewer than a window of {window_sessions}"
        )
    in_full = np.isin(dates, full)
    day_of_row = np.searchsorted(full, dates[in_full])
    features = []
    for j, name in enumerate(names):
        col = x[:, j]
        edges = np.unique(np.quantile(col, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
        expected = smoothed_shares(bin_counts(col, edges))
        windows = _window_psi(
            day_of_row, bin_index(col[in_full], edges), len(full), len(edges) + 1, window_sessions, expected
        )
        features.append(
            FeatureReference(
                name,
                tuple(float(e) for e in edges),
                tuple(float(p) for p in expected),
                float(np.quantile(windows, envelope_quantile)),
            )
        )
    training = {
        "first_date": str(days[0]),
        "last_date": str(days[-1]),
        "rows": int(len(x)),
        "windows": int(len(full) - window_sessions + 1),
    }
    return DriftReference(tuple(features), window_sessions, tuple(universe), envelope_quantile, training)


# ----------------------------------------------------------------------------- live rows


def window_rows(bars: Bars, upto: date, window: int) -> tuple[np.ndarray, date | None]:
    """Feature rows of one symbol's last ``window`` bars dated on or before ``upto`` (oldest first),
    and the first of those bars' dates. Reads ``LOOKBACK - 1 + window`` bars: the features have finite
    memory, so these rows equal the full history's (warm-up rows are left out)."""
    n = bars.count_upto(upto)
    start = max(0, n - (LOOKBACK - 1 + window))
    feats, _ = compute_features(*bars.feature_columns(start, n))
    rows = feats[-window:] if n else feats
    first = bars.dates[max(0, n - window)] if n else None
    return rows[np.isfinite(rows).all(axis=1)], first


def live_status(reference: DriftReference, bars: Mapping[str, Bars], upto: date) -> DriftStatus:
    """The drift of the window ending at ``upto``, over the reference's symbols that have bars (the
    signal service at a decision time, and the backtest's live-execution mode day by day)."""
    parts, firsts, lasts = [], [], []
    for symbol in reference.symbols:
        if symbol not in bars:
            continue
        rows, first = window_rows(bars[symbol], upto, reference.window_sessions)
        parts.append(rows)
        if first is not None:
            firsts.append(first)
            lasts.append(bars[symbol].dates[bars[symbol].count_upto(upto) - 1])
    rows = np.vstack(parts) if parts else np.empty((0, len(reference.features)))
    return assess(
        reference, rows, min(firsts).isoformat() if firsts else None, max(lasts).isoformat() if lasts else None
    )


# ----------------------------------------------------------------------------- verdict


def _level(excess: float) -> DriftLevel:
    if excess > HALT_EXCESS:
        return DriftLevel.HALT
    if excess > WARN_EXCESS:
        return DriftLevel.WARN
    return DriftLevel.OK


def assess(
    reference: DriftReference, rows: np.ndarray, first_day: str | None = None, last_day: str | None = None
) -> DriftStatus:
    """The drift of a live window (``rows`` [n, k]: the universe's feature rows pooled)."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(reference.features))
    base: dict[str, Any] = {
        "window_sessions": reference.window_sessions,
        "rows": int(len(rows)),
        "rows_needed": reference.rows_needed,
        "first_day": first_day,
        "last_day": last_day,
    }
    if len(rows) < reference.rows_needed:
        return DriftStatus(
            level=DriftLevel.UNKNOWN,
            reason=f"{len(rows)} feature rows in the window, {reference.rows_needed} needed "
            f"({reference.window_sessions} sessions of {', '.join(reference.symbols)})",
            **base,
        )
    features = []
    for j, ref in enumerate(reference.features):
        value = float(psi(bin_counts(rows[:, j], ref.edges), ref.expected))
        excess = value - ref.envelope
        features.append(
            FeatureDrift(name=ref.name, psi=value, envelope=ref.envelope, excess=excess, level=_level(excess))
        )
    worst = max(features, key=lambda f: f.excess)
    status = DriftStatus(level=worst.level, worst=worst.name, max_excess=worst.excess, features=features, **base)
    if worst.level is not DriftLevel.OK:
        status.reason = (
            f"feature drift: {worst.name} PSI {worst.psi:.2f} is {worst.excess:+.2f} beyond its training envelope "
            f"{worst.envelope:.2f} over the last {reference.window_sessions} sessions "
            f"(warn above +{WARN_EXCESS:.2f}, halt above +{HALT_EXCESS:.2f})"
        )
    return status


def unavailable(reason: str) -> DriftStatus:
    return DriftStatus(level=DriftLevel.UNKNOWN, reason=reason)


def thresholds() -> dict[str, Any]:
    """The levels, for the API and the dashboard (one copy: here)."""
    return {
        "statistic": STATISTIC,
        "bins": BINS,
        "envelope_quantile": ENVELOPE_QUANTILE,
        "warn_excess": WARN_EXCESS,
        "halt_excess": HALT_EXCESS,
        "min_rows_share": MIN_ROWS_SHARE,
    }
