"""The equity snapshot at a session's close, once its opening fills are booked."""

from __future__ import annotations

from datetime import date

from order_service.logic.context import Dependencies
from tradeloop_common.models import Snapshot
from tradeloop_common.valuation import close_of, portfolio_at, snapshot_of


def snapshot_at_close(session: date, deps: Dependencies, fresh_since: float | None = None) -> Snapshot:
    """The snapshot of the session's close: written now, or the one kept from an earlier run (the
    book has moved on since, so it is not taken again). ``fresh_since``: marks read since then (the
    fill step's own reads of the session's bars) are not asked again."""
    at = close_of(session)
    snapshot = snapshot_of(portfolio_at(deps.store, deps.bars, deps.account_id, at, fresh_since))
    if deps.snapshots.put(snapshot, after_fills=True):
        return snapshot
    kept = deps.snapshots.query(deps.account_id, at, at, 1)
    return kept[0] if kept else snapshot
