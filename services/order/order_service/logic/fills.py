"""A session's open is known: fill the market-on-open orders waiting for it.

Each PENDING order due at or before the session fills at the official open of its own session
with slippage (tradeloop_common.execution.fill_at_open), sells before buys, in one conditional
transaction (order PENDING -> FILLED, cash, buying power, position, the controls unchanged): a
redelivered or racing fill step books nothing twice. The kill switch thrown before the open
cancels what it forbids; an order whose symbol did not open that session expires; one whose
session's bar is not in the data yet waits for the next ingest (expiring after
``pending_max_sessions``).

At universe scale (500 orders a session) the step reads what every order needs once: the bars of
every symbol (in parallel), the controls, the positions and the cash; then each fill is judged
against that book as the step's own fills move it. Each transaction still checks what it relies
on (the order still PENDING, the cash, a sold position's version, the controls' version), so a
change by anyone else makes it a CONFLICT, and that order is judged again on fresh reads.

With a broker that executes the orders (alpaca), the broker's account of each order is booked
instead (broker_fills.py), in the same conditional transaction."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from order_service.logic.broker_fills import settle_at_broker
from order_service.logic.closing import close_order
from order_service.logic.context import Dependencies
from tradeloop_common.dal.controls import ControlsGuard
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.errors import StoreError, UnknownSymbolError
from tradeloop_common.execution import fill_at_open, forbidden_at_open
from tradeloop_common.models import Controls, Fill, Order, OrderStatus, Position, Side
from tradeloop_common.observability import logger

MAX_ATTEMPTS = 10


@dataclass
class OpenBook:
    """What the fills of one session were judged against: read once, then moved by each fill."""

    controls: Controls
    positions: dict[str, Position]
    cash: Decimal

    @classmethod
    def read(cls, deps: Dependencies) -> OpenBook:
        state = deps.store.get_cash_state(deps.account_id)
        return cls(
            controls=deps.controls.get(deps.account_id),
            positions={p.symbol: p for p in deps.store.get_positions(deps.account_id)},
            cash=state.cash if state else Decimal(0),
        )


def fill_session(session: date, deps: Dependencies, fresh_since: float | None = None) -> list[Order]:
    """Every pending order due at or before ``session``, as it stands afterwards. ``fresh_since``:
    bars read since then (``time.monotonic()``, e.g. this invocation's start) are not asked again."""
    due = deps.store.list_pending(deps.account_id, upto=session)
    started = time.monotonic() if fresh_since is None else fresh_since
    book = None
    if due and not deps.broker.executes_orders:
        # Every symbol's bars at once (in parallel), so settling 500 orders asks S3 nothing more.
        deps.bars.windows({o.symbol for o in due}, session, 1, started)
        book = OpenBook.read(deps)

    def settle(order: Order) -> Order:
        # paper fills here, from the bars; a broker that executes orders says what it filled.
        if deps.broker.executes_orders:
            return settle_at_broker(order, session, deps)
        return _settle(order, session, deps, started, book)

    settled = [
        settle(order) for order in sorted(due, key=lambda o: (o.session or session, o.side is Side.BUY, o.symbol))
    ]
    logger.info(
        "session filled",
        extra={
            "session": session.isoformat(),
            "due": len(due),
            **{s.value.lower(): sum(1 for o in settled if o.status is s) for s in OrderStatus},
        },
    )
    return settled


def _settle(
    order: Order, session: date, deps: Dependencies, fresh_since: float | None = None, book: OpenBook | None = None
) -> Order:
    for attempt in range(MAX_ATTEMPTS):
        # The session's book on the first try; after a conflict (someone else moved the account),
        # or before refusing on what it says, fresh reads.
        judged = book if attempt == 0 and book is not None else None
        controls = judged.controls if judged else deps.controls.get(deps.account_id)
        why = forbidden_at_open(order.side, controls.trading_state)
        if why:
            if judged:  # cancel on fresh reads only (the controls may have changed since the book)
                continue
            return close_order(order, OrderStatus.CANCELLED, why, deps)
        trade_day = order.session or session
        try:
            # The series from the order's session on: its open, and how far the data goes.
            bars = deps.bars.window(order.symbol, trade_day, 1, fresh_since if attempt == 0 else None)
        except UnknownSymbolError:
            return close_order(order, OrderStatus.EXPIRED, f"no market data for {order.symbol}", deps)
        opened = bars.open_on(trade_day)
        if opened is None:
            traded_later = bool(bars.dates) and bars.dates[-1] > trade_day
            waited = deps.calendar.session_count(trade_day, session)
            if traded_later or waited >= deps.pending_max_sessions:
                return close_order(order, OrderStatus.EXPIRED, f"no open for {order.symbol} on {trade_day}", deps)
            return order  # the session's bar is not in the data yet: the next ingest fills it
        if judged:
            position = judged.positions.get(order.symbol) or Position(symbol=order.symbol)
            cash = judged.cash
        else:
            position = deps.store.get_position(deps.account_id, order.symbol)
            state = deps.store.get_cash_state(deps.account_id)
            cash = state.cash if state else Decimal(0)
        result = fill_at_open(order.side, order.quantity, opened, position, cash, deps.execution)
        if isinstance(result, str):
            if judged:  # refuse on fresh reads only (a sale elsewhere may have brought cash)
                continue
            return close_order(order, OrderStatus.REJECTED, result, deps)
        filled = order.model_copy(
            update={
                "status": OrderStatus.FILLED,
                "fills": [
                    Fill(
                        price=result.price,
                        quantity=order.quantity,
                        commission=result.commission,
                        filled_at=deps.calendar.session_open(trade_day),
                    )
                ],
                "price_source": f"open {trade_day.isoformat()}",
            }
        )
        outcome = deps.store.fill_pending(filled, result, position, ControlsGuard(deps.account_id, controls.version))
        if outcome is CommitOutcome.COMMITTED:
            if book is not None:  # the session's book moves with its own fills
                book.cash += result.cash_delta
                book.positions[order.symbol] = result.position.model_copy(update={"version": position.version + 1})
            return filled
        if outcome is CommitOutcome.NOT_PENDING:
            return deps.store.get_order(order.order_id) or order
        if outcome is CommitOutcome.INSUFFICIENT_CASH:
            return close_order(
                order, OrderStatus.REJECTED, "insufficient cash at the open when the fill was booked", deps
            )
        time.sleep(0.01 * (attempt + 1))  # CONFLICT: the position or the controls moved; read again
    raise StoreError(f"order {order.order_id} kept conflicting with concurrent changes at the open; retry")
