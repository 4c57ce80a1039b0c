"""The account as tradeloop_common.execution sees it, read from the stores: cash, buying power,
positions, what is pending, each marked at its last close up to a point in time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from order_service.logic.context import Dependencies
from tradeloop_common.execution import Book
from tradeloop_common.models import Order, Position, Side
from tradeloop_common.valuation import last_prices


def read_book(deps: Dependencies, as_of: datetime, symbols: Iterable[str] = ()) -> tuple[Book, list[Order]]:
    """The book marked at ``as_of`` (``symbols`` marked too, e.g. a rebalance's targets), and the
    PENDING orders it counts."""
    state = deps.store.get_cash_state(deps.account_id)
    cash = state.cash if state else Decimal(0)
    available = state.available if state else Decimal(0)
    positions = {p.symbol: p for p in deps.store.get_positions(deps.account_id)}
    pending = deps.store.list_pending(deps.account_id)
    waiting: dict[str, int] = {}
    for order in pending:
        waiting[order.symbol] = waiting.get(order.symbol, 0) + (
            order.quantity if order.side is Side.BUY else -order.quantity
        )
    marked = {*positions, *waiting, *symbols}
    marks = last_prices(deps.bars, [positions.get(s) or Position(symbol=s) for s in sorted(marked)], as_of)
    return Book(deps.account_id, cash, available, positions, marks, waiting), pending
