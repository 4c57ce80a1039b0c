"""Wire the logic to the configured stores, once per process (one warm Lambda instance)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from signal_service.logic.model_cache import ModelCache
from tradeloop_common.calendar import ExchangeCalendar, get_calendar
from tradeloop_common.clock import Clock, SystemClock
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.dal.controls import ControlsStore, get_controls_store
from tradeloop_common.dal.health import HealthStore, get_health_store
from tradeloop_common.dal.queue import IntentQueue, get_intent_queue
from tradeloop_common.dal.registry import ModelStore, get_model_store
from tradeloop_common.dal.signals import SignalStore, get_signal_store
from tradeloop_common.settings import SignalEnv, get_settings


@dataclass(frozen=True)
class Dependencies:
    signals: SignalStore
    bars: BarsRepository
    models: ModelStore
    model_cache: ModelCache
    queue: IntentQueue
    limits: SignalEnv
    controls: ControlsStore
    account_id: str
    health: HealthStore
    clock: Clock = field(default_factory=SystemClock)
    calendar: ExchangeCalendar = field(default_factory=get_calendar)


@lru_cache
def get_dependencies() -> Dependencies:
    settings = get_settings()
    models = get_model_store()
    return Dependencies(
        signals=get_signal_store(),
        bars=BarsRepository(settings.data_bucket),
        models=models,
        model_cache=ModelCache(models, settings.model_check_seconds),
        queue=get_intent_queue(),
        limits=settings,
        controls=get_controls_store(),
        account_id=settings.account_id,
        health=get_health_store(),
    )
