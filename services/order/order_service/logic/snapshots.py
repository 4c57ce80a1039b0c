"""Equity snapshot after a batch of fills, marked at the close of the day the fills happened."""

from __future__ import annotations

from order_service.logic.place_order import Dependencies
from tradeloop_common.dal.snapshots import get_snapshot_store
from tradeloop_common.models import Order
from tradeloop_common.valuation import close_of, portfolio_at, snapshot_of


def snapshot_after_fills(orders: list[Order], deps: Dependencies) -> None:
    last_fill = max(f.filled_at for o in orders for f in o.fills)
    # A live fill (at the latest close) happens after that close: mark it at the fill time instead.
    as_of = max(close_of(last_fill.date()), last_fill)
    portfolio = portfolio_at(deps.store, deps.bars, deps.account_id, as_of)
    get_snapshot_store().put(snapshot_of(portfolio))
