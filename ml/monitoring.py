"""What the live monitors compare against, written into the manifest's ``monitoring`` at publish:

- ``drift``: the decile bins of every feature over the rows the published model was FIT on (the
  final fit's training rows, never a walk-forward test block that model did not train on), and each
  feature's training envelope (``tradeloop_common.drift``);
- ``decay``: what the walk-forward promised out of sample -- the selected model's hit rate and the
  mean return of its long signals -- with the interval a live window of ``window_sessions`` sessions
  falls in with probability ``level`` (``tradeloop_common.decay``).

The decay interval is a stationary bootstrap (``ml.bootstrap``, the gate's resampler) of
``window_sessions`` out-of-sample *dates* (every symbol of a date together, mean block
``window_sessions ** (1/3)``): the spread of the figure over windows that short, dependence kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ml.bootstrap import default_mean_block, stationary_counts
from ml.config import TIE_TOLERANCE, TrainConfig
from ml.evaluate import Evaluation
from ml.features import Samples
from tradeloop_common.decay import DEFINITIONS, HIT_RATE, LONG_RETURN
from tradeloop_common.drift import WINDOW_SESSIONS, build_reference

DECAY_LEVEL = 0.95
DECAY_REPLICATES = 2000


def drift_reference(training: Samples, window_sessions: int = WINDOW_SESSIONS) -> dict[str, Any]:
    """``monitoring.drift`` from the final fit's training rows."""
    ref = build_reference(
        training.x, training.dates, training.symbols, training.feature_names, window_sessions=window_sessions
    )
    out = ref.to_manifest()
    out["training"]["computed_on"] = "the rows the published model was fit on (labelled samples), all symbols"
    return out


def _per_date(values: np.ndarray, day: np.ndarray, mask: np.ndarray, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """(sum of values, count) per out-of-sample date over the rows in ``mask``."""
    total = np.bincount(day[mask], weights=values[mask], minlength=n_days)
    count = np.bincount(day[mask], minlength=n_days).astype(np.float64)
    return total, count


def _check(total: np.ndarray, count: np.ndarray, counts: np.ndarray, level: float, name: str) -> dict[str, Any] | None:
    if count.sum() == 0:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        replicated = (counts @ total) / (counts @ count)
    replicated = replicated[np.isfinite(replicated)]
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(replicated, [tail, 1.0 - tail])
    return {
        "definition": DEFINITIONS[name],
        "promised": float(total.sum() / count.sum()),
        "interval": [float(low), float(high)],
    }


def decay_promise(
    ev: Evaluation,
    samples: Samples,
    cfg: TrainConfig,
    window_sessions: int = WINDOW_SESSIONS,
    level: float = DECAY_LEVEL,
    replicates: int = DECAY_REPLICATES,
) -> dict[str, Any]:
    """``monitoring.decay`` from the selected model's out-of-sample rows."""
    selected = ev.candidates[ev.selected]
    assert selected.prob is not None and selected.curve is not None
    rows = ev.rows
    curve = selected.curve
    dates = curve.dates
    day = np.searchsorted(dates, samples.dates[rows])
    col = np.searchsorted(np.array(curve.symbols), samples.symbols[rows])
    ret = samples.fwd[rows]
    zone = max(cfg.label.dead_zone, TIE_TOLERANCE)
    decided = np.isfinite(ret)
    hit = ((selected.prob > 0.5) == (ret > 0)).astype(np.float64)
    labelled = decided & (np.abs(np.nan_to_num(ret)) > zone)
    target = curve.targets[day, col]
    long = decided & (np.nan_to_num(target) > 0)

    rng = np.random.default_rng(cfg.seed)
    mean_block = default_mean_block(window_sessions)
    counts = stationary_counts(len(dates), replicates, mean_block, rng, draws=window_sessions)
    checks = {
        HIT_RATE: _check(*_per_date(hit, day, labelled, len(dates)), counts, level, HIT_RATE),
        LONG_RETURN: _check(*_per_date(np.nan_to_num(ret), day, long, len(dates)), counts, level, LONG_RETURN),
    }
    return {
        "model": ev.selected,
        "window_sessions": window_sessions,
        "level": level,
        "tie": zone,
        **{k: v for k, v in checks.items() if v is not None},
        "out_of_sample": {
            "first_date": str(dates[0]),
            "last_date": str(dates[-1]),
            "dates": int(len(dates)),
            "rows": int(len(rows)),
        },
        "bootstrap": {"replicates": replicates, "mean_block": round(mean_block, 2), "draws": window_sessions},
    }
