"""A session's rebalance intent -> market-on-open orders, PENDING until the next session's open.

The gap between the targets and what is held plus pending, outside the no-trade band, sells
first (tradeloop_common.execution.plan_rebalance); each order accepted against the risk limits
and the buying power, reserving what it will cost (`accept`), or stored REJECTED with the reason.
Nothing is planned while HALTED, only sells while REDUCE_ONLY.

Idempotent: an order's id is derived from the intent and the symbol, so a redelivered intent, or
one that crashed half-way, creates each order once; the plan counts the orders already pending,
so it converges to the same book."""

from __future__ import annotations

import time

from order_service.logic.book import read_book
from order_service.logic.context import Dependencies
from order_service.logic.place_order import OrderTicket, order_id_for, reject_order
from tradeloop_common.dal.controls import ControlsGuard
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.errors import StoreError
from tradeloop_common.execution import accept, add_pending, plan_rebalance
from tradeloop_common.models import Order, OrderStatus, RebalanceIntent, Side, TimeInForce
from tradeloop_common.models.order import INTENT_KEY_PREFIX
from tradeloop_common.observability import logger

MAX_ATTEMPTS = 10


def order_key(intent: RebalanceIntent, symbol: str) -> str:
    """The idempotency key of an intent's order for a symbol, in a key space no manual order can use."""
    return f"{INTENT_KEY_PREFIX}{intent.intent_id}:{symbol}"


def rebalance(intent: RebalanceIntent, deps: Dependencies) -> list[Order]:
    """The orders this intent placed (PENDING or REJECTED); the stored ones on a redelivery."""
    # The next open after the decision: a close's decision trades at the next session's open, one
    # taken during a session at the open after it, never at an open already past.
    trade_session = deps.calendar.local_date(deps.calendar.next_open(intent.as_of))
    for attempt in range(MAX_ATTEMPTS):
        controls = deps.controls.get(deps.account_id)
        book, _ = read_book(deps, intent.as_of, intent.targets)
        unpriced = sorted(s for s in intent.targets if book.marks.get(s) is None)
        plan = plan_rebalance(
            intent.targets,
            book.held(),
            book.pending,
            book.marks,
            book.portfolio(intent.as_of).equity,
            deps.execution,
            controls.trading_state,
        )
        placed = [_reject_unpriced(intent, symbol, deps) for symbol in unpriced]
        conflict = False
        # Placed by an earlier delivery of this intent? One batched read for the whole plan.
        earlier = deps.store.get_orders([order_id_for(deps.account_id, order_key(intent, p.symbol)) for p in plan])
        for planned in plan:
            ticket = OrderTicket(
                client_order_id=order_key(intent, planned.symbol),
                symbol=planned.symbol,
                side=planned.side,
                quantity=planned.quantity,
                source="signal",
            )
            existing = earlier.get(order_id_for(deps.account_id, ticket.client_order_id))
            if existing is not None:  # placed by an earlier delivery of this intent
                placed.append(existing)
                continue
            acceptance = accept(planned, book, controls, deps.execution, intent.as_of)
            if acceptance.reason is not None:
                placed.append(reject_order(ticket, intent.as_of, acceptance.reason, deps))
                continue
            order = Order(
                order_id=order_id_for(deps.account_id, ticket.client_order_id),
                client_order_id=ticket.client_order_id,
                account_id=deps.account_id,
                symbol=planned.symbol,
                side=planned.side,
                quantity=planned.quantity,
                status=OrderStatus.PENDING,
                source="signal",
                as_of=intent.as_of,
                created_at=deps.clock.now(),
                session=trade_session,
                time_in_force=TimeInForce.OPG,
                reserved=acceptance.reserve,
                request_hash=ticket.request_hash(),
                broker=deps.broker.name,
            )
            outcome = deps.store.put_pending(order, ControlsGuard(deps.account_id, controls.version))
            if outcome is CommitOutcome.COMMITTED:
                add_pending(book, planned.symbol, acceptance.reserve, planned.side, planned.quantity)
                placed.append(order)
            elif outcome is CommitOutcome.DUPLICATE:
                placed.append(deps.store.get_order(order.order_id) or order)
            elif outcome is CommitOutcome.INSUFFICIENT_CASH:
                placed.append(reject_order(ticket, intent.as_of, "insufficient buying power when it was booked", deps))
            else:  # the controls or the account changed under us: plan again from a fresh read
                conflict = True
                break
        if not conflict:
            logger.info(
                "rebalanced",
                extra={
                    "intent_id": intent.intent_id,
                    "session": intent.session.isoformat(),
                    "trade_session": trade_session.isoformat(),
                    "orders": len(placed),
                    "state": controls.trading_state.value,
                },
            )
            return placed
        time.sleep(0.01 * (attempt + 1))
    raise StoreError(f"rebalance {intent.intent_id} kept conflicting with concurrent changes; retry")


def _reject_unpriced(intent: RebalanceIntent, symbol: str, deps: Dependencies) -> Order:
    """A target the data cannot size (no bar on or before the decision): REJECTED, saying so."""
    ticket = OrderTicket(
        client_order_id=order_key(intent, symbol), symbol=symbol, side=Side.BUY, quantity=0, source="signal"
    )
    return reject_order(
        ticket, intent.as_of, f"no market data for {symbol} on or before {intent.session}: cannot size it", deps
    )
