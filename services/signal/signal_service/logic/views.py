"""Read views of the signal service: signals, the live model and its health."""

from __future__ import annotations

import json

from signal_service.logic.dependencies import Dependencies
from signal_service.models.output import (
    CurrentModel,
    HealthHistory,
    HealthThresholds,
    Promotion,
    ServingStatus,
    SignalList,
)
from tradeloop_common.dal.registry import ArtifactMissingError, LivePointer
from tradeloop_common.drift import thresholds
from tradeloop_common.errors import NotFoundError
from tradeloop_common.layout import latest_key

URL_EXPIRES_SECONDS = 3600
NO_MODEL_FIX = "publish and promote one: `make train-and-publish` (or `python -m ml train-and-publish`)"


def list_signals(deps: Dependencies, symbol: str | None, limit: int, next_token: str | None) -> SignalList:
    if symbol:
        signals, token = deps.signals.history_page(symbol, limit, next_token)
        return SignalList(signals=signals, next_token=token)
    symbols = deps.limits.symbols or deps.bars.symbols()
    return SignalList(signals=deps.signals.latest(symbols[:limit]))


def current_model(deps: Dependencies) -> CurrentModel:
    name = deps.models.model_name
    pointer = deps.models.live()
    if not isinstance(pointer, LivePointer) or not pointer.version:
        raise NotFoundError(
            f"no live model: {latest_key(name)} does not exist in the models bucket",
            [{"field": "model", "fix": NO_MODEL_FIX}],
        )
    try:
        manifest = json.loads(deps.models.read(pointer.version, "manifest.json"))
    except ArtifactMissingError as exc:
        raise NotFoundError(
            f"LATEST names {pointer.version}, which has no manifest.json", [{"field": "model", "fix": NO_MODEL_FIX}]
        ) from exc
    live = deps.model_cache.current()
    serving = ServingStatus(
        loaded=live.usable and live.version == pointer.version,
        error=live.error if live.version == pointer.version else "this instance has not loaded it yet",
    )
    return CurrentModel(
        name=name,
        version=pointer.version,
        manifest=manifest,
        promotion=Promotion(action=pointer.action, promoted_at=pointer.promoted_at),
        model_h5_url=deps.models.presigned_url(pointer.version, "model.h5", URL_EXPIRES_SECONDS),
        report_url=deps.models.presigned_url(pointer.version, "report.html", URL_EXPIRES_SECONDS),
        url_expires_in=URL_EXPIRES_SECONDS,
        serving=serving,
    )


def model_health_history(deps: Dependencies, limit: int) -> HealthHistory:
    pointer = deps.models.live()
    live = pointer.version if isinstance(pointer, LivePointer) else None
    return HealthHistory(
        name=deps.models.model_name,
        live_version=live,
        thresholds=HealthThresholds(**thresholds()),
        runs=deps.health.history(limit),
    )
