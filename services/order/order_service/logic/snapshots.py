"""The equity snapshot at a session's close, once its opening fills are booked."""

from __future__ import annotations

from datetime import date

from order_service.logic.context import Dependencies
from tradeloop_common.dal.snapshots import get_snapshot_store
from tradeloop_common.models import Snapshot
from tradeloop_common.valuation import close_of, portfolio_at, snapshot_of


def snapshot_at_close(session: date, deps: Dependencies) -> Snapshot:
    snapshot = snapshot_of(portfolio_at(deps.store, deps.bars, deps.account_id, close_of(session)))
    get_snapshot_store().put(snapshot)
    return snapshot
