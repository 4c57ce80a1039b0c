"""The live model's health at a decision time: feature drift over the universe's recent bars and
decay of the model's recent signals (rules and levels: tradeloop_common.drift and
tradeloop_common.decay). Computed once per decision time and kept beside the signals (a rerun
reuses the verdict, as it reuses the signals); the run HOLDs new entries while drift is at HALT."""

from __future__ import annotations

from datetime import datetime

from signal_service.logic.dependencies import Dependencies
from signal_service.logic.model_cache import LiveModel
from tradeloop_common import decay, drift
from tradeloop_common.dal.bars import Bars
from tradeloop_common.decay import DecayPromise
from tradeloop_common.drift import DriftReference
from tradeloop_common.errors import UnknownSymbolError
from tradeloop_common.features import LOOKBACK
from tradeloop_common.models.health import DecayStatus, DriftStatus, ModelHealth
from tradeloop_common.observability import logger

RETRAIN = "publish a model trained by this version (`make train-and-publish`)"


def model_health(model: LiveModel, as_of: datetime, deps: Dependencies) -> ModelHealth | None:
    """The stored verdict for ``as_of``, else a new one, stored; None without a usable model."""
    if not model.usable or model.version is None or model.manifest is None:
        return None
    if not model.manifest.get("monitoring"):
        # A model published before monitoring: nothing to measure (the verdicts say why), nothing kept,
        # so its runs add no records for the Model page to chart.
        return _assess(model, as_of, {}, deps)
    stored = deps.health.get(as_of)
    if stored is not None:
        return stored
    symbols = sorted({*model.universe, *(model.manifest.get("training_data") or {}).get("symbols", [])})
    health = _assess(model, as_of, _bars(deps, symbols, model, as_of), deps)
    if not deps.health.put(health):  # a concurrent run of the same decision time wrote it first
        health = deps.health.get(as_of) or health
    logger.info(
        "model health",
        extra={
            "as_of": as_of.isoformat(),
            "model_version": model.version,
            "drift": health.drift.level.value,
            "decay": health.decay.status.value,
        },
    )
    return health


def _assess(model: LiveModel, as_of: datetime, bars: dict[str, Bars], deps: Dependencies) -> ModelHealth:
    return ModelHealth(
        as_of=as_of,
        model_version=str(model.version),
        drift=_drift(model, as_of, bars),
        decay=_decay(model, as_of, bars, deps),
        computed_at=deps.clock.now(),
    )


def _bars(deps: Dependencies, symbols: list[str], model: LiveModel, as_of: datetime) -> dict[str, Bars]:
    """Each symbol's window up to ``as_of``, read in parallel: the ``LOOKBACK - 1 + window_sessions``
    bars the drift's rows need (drift.window_rows), not the whole history; the decay reads further
    back only for a symbol whose signals are older (_decay). A symbol without bars is left out (a
    thinner window: the drift verdict says how many rows it had)."""
    try:
        reference = DriftReference.from_manifest(model.manifest or {})
    except ValueError:
        reference = None
    need = LOOKBACK - 1 + (reference.window_sessions if reference else 1)
    found = deps.bars.windows(symbols, as_of.date(), need)
    return {s: b for s, b in found.items() if not isinstance(b, UnknownSymbolError)}


def _drift(model: LiveModel, as_of: datetime, bars: dict[str, Bars]) -> DriftStatus:
    try:
        reference = DriftReference.from_manifest(model.manifest or {})
    except ValueError as exc:
        return drift.unavailable(str(exc))
    if reference is None:
        return drift.unavailable(f"model {model.version} has no drift reference (published before it): {RETRAIN}")
    return drift.live_status(reference, bars, as_of.date())


def _decay(model: LiveModel, as_of: datetime, bars: dict[str, Bars], deps: Dependencies) -> DecayStatus:
    try:
        promise = DecayPromise.from_manifest(model.manifest or {})
    except ValueError as exc:
        return decay.unavailable(str(exc))
    if promise is None:
        return decay.unavailable(f"model {model.version} has no decay promise (published before it): {RETRAIN}")
    # Enough rows for the window with reruns and HOLDs among them; only this version's signals count.
    limit = 2 * promise.window_sessions + 10
    live = []
    for symbol, b in bars.items():
        mine = [s for s in deps.signals.before(symbol, as_of, limit) if s.model_version == model.version]
        oldest = min((s.as_of.date() for s in mine), default=None)
        if oldest is not None and b.dates and oldest < b.dates[0]:
            b = deps.bars.window(symbol, oldest, 1)  # the series from the oldest signal's bar on
        live += decay.outcomes(mine, b, as_of.date(), promise.tie)
    return decay.assess(promise, live)
