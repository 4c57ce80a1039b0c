"""Wire the logic to the configured stores, once per process."""

from __future__ import annotations

from functools import lru_cache

from order_service.brokers import get_broker
from order_service.logic.context import Dependencies
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.dal.controls import get_controls_store
from tradeloop_common.dal.snapshots import get_snapshot_store
from tradeloop_common.dal.trading import get_trading_store
from tradeloop_common.settings import get_settings


@lru_cache
def get_dependencies() -> Dependencies:
    settings = get_settings()
    return Dependencies(
        store=get_trading_store(),
        bars=BarsRepository(settings.data_bucket),
        controls=get_controls_store(),
        snapshots=get_snapshot_store(),
        account_id=settings.account_id,
        commission_bps=settings.commission_bps,
        slippage_bps=settings.slippage_bps,
        rebalance_band=settings.rebalance_band,
        cash_buffer=settings.cash_buffer,
        pending_max_sessions=settings.pending_max_sessions,
        broker=get_broker(settings),
    )
