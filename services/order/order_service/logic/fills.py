"""A session's open is known: fill the market-on-open orders waiting for it.

Each PENDING order due at or before the session fills at the official open of its own session
with slippage (tradeloop_common.execution.fill_at_open), sells before buys, in one conditional
transaction (order PENDING -> FILLED, cash, buying power, position, the controls unchanged): a
redelivered or racing fill step books nothing twice. The kill switch thrown before the open
cancels what it forbids; an order whose symbol did not open that session expires; one whose
session's bar is not in the data yet waits for the next ingest (expiring after
``pending_max_sessions``).

With a broker that executes the orders (alpaca), the broker's account of each order is booked
instead (broker_fills.py), in the same conditional transaction."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from order_service.logic.broker_fills import settle_at_broker
from order_service.logic.closing import close_order
from order_service.logic.context import Dependencies
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.errors import StoreError, UnknownSymbolError
from tradeloop_common.execution import fill_at_open, forbidden_at_open
from tradeloop_common.models import Fill, Order, OrderStatus, Side
from tradeloop_common.observability import logger

MAX_ATTEMPTS = 10


def fill_session(session: date, deps: Dependencies) -> list[Order]:
    """Every pending order due at or before ``session``, as it stands afterwards."""
    due = deps.store.list_pending(deps.account_id, upto=session)
    # paper fills here, from the bars; a broker that executes orders says what it filled.
    settle = settle_at_broker if deps.broker.executes_orders else _settle
    settled = [
        settle(order, session, deps)
        for order in sorted(due, key=lambda o: (o.session or session, o.side is Side.BUY, o.symbol))
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


def _settle(order: Order, session: date, deps: Dependencies) -> Order:
    for attempt in range(MAX_ATTEMPTS):
        controls = deps.controls.get(deps.account_id)
        why = forbidden_at_open(order.side, controls.trading_state)
        if why:
            return close_order(order, OrderStatus.CANCELLED, why, deps)
        trade_day = order.session or session
        try:
            bars = deps.bars.get(order.symbol)
        except UnknownSymbolError:
            return close_order(order, OrderStatus.EXPIRED, f"no market data for {order.symbol}", deps)
        opened = bars.open_on(trade_day)
        if opened is None:
            traded_later = bool(bars.dates) and bars.dates[-1] > trade_day
            waited = deps.calendar.session_count(trade_day, session)
            if traded_later or waited >= deps.pending_max_sessions:
                return close_order(order, OrderStatus.EXPIRED, f"no open for {order.symbol} on {trade_day}", deps)
            return order  # the session's bar is not in the data yet: the next ingest fills it
        position = deps.store.get_position(deps.account_id, order.symbol)
        state = deps.store.get_cash_state(deps.account_id)
        cash = state.cash if state else Decimal(0)
        result = fill_at_open(order.side, order.quantity, opened, position, cash, deps.execution)
        if isinstance(result, str):
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
        outcome = deps.store.fill_pending(
            filled, result, position, deps.controls.unchanged_check(deps.account_id, controls.version)
        )
        if outcome is CommitOutcome.COMMITTED:
            return filled
        if outcome is CommitOutcome.NOT_PENDING:
            return deps.store.get_order(order.order_id) or order
        if outcome is CommitOutcome.INSUFFICIENT_CASH:
            return close_order(
                order, OrderStatus.REJECTED, "insufficient cash at the open when the fill was booked", deps
            )
        time.sleep(0.01 * (attempt + 1))  # CONFLICT: the position or the controls moved; read again
    raise StoreError(f"order {order.order_id} kept conflicting with concurrent changes at the open; retry")
