"""Wire the logic to the configured stores and provider, once per process (one warm instance)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from marketdata_service.logic.providers import Provider, get_provider
from tradeloop_common.calendar import ExchangeCalendar, get_calendar
from tradeloop_common.dal.bars import BarsWriter
from tradeloop_common.dal.quality import QualityStore
from tradeloop_common.dal.registry import ModelStore, get_model_store
from tradeloop_common.dal.secrets import secret_json
from tradeloop_common.dal.trading import TradingStore, get_trading_store
from tradeloop_common.settings import Settings, get_settings


def _provider_factory(settings: Settings) -> Callable[[], Provider]:
    def make() -> Provider:
        # The secret is read only when a provider needs it and no keys came from the environment.
        needs_secret = (
            settings.marketdata_provider == "alpaca"
            and not (settings.alpaca_key_id and settings.alpaca_secret_key)
            and bool(settings.marketdata_secret_arn)
        )
        secret = secret_json(settings.marketdata_secret_arn) if needs_secret else None
        return get_provider(settings, {str(k): str(v) for k, v in (secret or {}).items()})

    return make


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    bars: BarsWriter
    quality: QualityStore
    models: ModelStore
    trading: TradingStore
    provider: Callable[[], Provider]
    calendar: ExchangeCalendar = field(default_factory=get_calendar)


@lru_cache
def get_dependencies() -> Dependencies:
    settings = get_settings()
    return Dependencies(
        settings=settings,
        bars=BarsWriter(settings.data_bucket),
        quality=QualityStore(settings.data_bucket),
        models=get_model_store(),
        trading=get_trading_store(),
        provider=_provider_factory(settings),
    )
