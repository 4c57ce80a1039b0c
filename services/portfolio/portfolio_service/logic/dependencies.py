"""Wire the logic to the configured stores, once per process."""

from __future__ import annotations

from functools import lru_cache, partial

from portfolio_service.logic.context import Dependencies
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.dal.registry import read_live_version
from tradeloop_common.dal.snapshots import get_snapshot_store
from tradeloop_common.dal.trading import get_trading_store
from tradeloop_common.settings import get_settings


@lru_cache
def get_dependencies() -> Dependencies:
    settings = get_settings()
    return Dependencies(
        store=get_trading_store(),
        snapshots=get_snapshot_store(),
        bars=BarsRepository(settings.data_bucket),
        account_id=settings.account_id,
        live_model_version=partial(read_live_version, settings.models_bucket, settings.model_name),
        code_version=settings.code_version,
    )
