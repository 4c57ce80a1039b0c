"""A session's open is known, and a broker that executes the orders (alpaca) has executed them: the
book follows the broker's account of each PENDING order, in the same conditional transaction the
paper fills use (``store.fill_pending``: order, cash, buying power, position, controls unchanged),
so a redelivered or racing step books nothing twice.

- filled: ONE fill, at the broker's average price for its filled quantity; no commission (Alpaca
  charges none on US equities), no slippage (the price is what the market gave);
- open or partially filled: stays PENDING, the next session-open step looks again (what is partly
  filled is booked when the order ends; reconciliation leaves it out meanwhile);
- canceled, expired or rejected: closed with the broker's reason, booking what did fill, if any;
- unknown to the broker (every submission failed): EXPIRED, saying so.

The broker's word is final: a fill it made is booked whatever the kill switch says now. A fill the
book cannot hold (more shares sold than held, more cash spent than it has) is not forced in: the
order stays PENDING, an error is logged, and reconciliation finds the difference and HALTs."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from order_service.brokers.base import BrokerOrder, BrokerOrderStatus
from order_service.logic.closing import close_order
from order_service.logic.context import Dependencies
from tradeloop_common.accounting import apply_fill
from tradeloop_common.dal.controls import ControlsGuard
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.errors import StoreError
from tradeloop_common.models import Fill, Order, OrderStatus
from tradeloop_common.observability import logger

MAX_ATTEMPTS = 10
NO_COMMISSION = Decimal(0)
ENDED = {
    BrokerOrderStatus.FILLED: OrderStatus.FILLED,
    BrokerOrderStatus.CANCELED: OrderStatus.CANCELLED,
    BrokerOrderStatus.EXPIRED: OrderStatus.EXPIRED,
    BrokerOrderStatus.REJECTED: OrderStatus.REJECTED,
}


def settle_at_broker(order: Order, session: date, deps: Dependencies) -> Order:
    """``order`` as the broker left it: FILLED, closed, or still PENDING."""
    at_broker = deps.broker.get_order(order.order_id)
    if at_broker is None:
        return close_order(
            order, OrderStatus.EXPIRED, f"{deps.broker.name} has no such order: it was never submitted", deps
        )
    if at_broker.status.working:
        return order
    order = order.model_copy(update={"broker_order_id": at_broker.broker_order_id})
    status, reason = ENDED[at_broker.status], at_broker.reason
    if not at_broker.filled_quantity:
        return close_order(order, status, reason or f"{deps.broker.name}: {at_broker.status.value}", deps)
    return _book(order, at_broker, status, reason, session, deps)


def _book(
    order: Order, at_broker: BrokerOrder, status: OrderStatus, reason: str | None, session: date, deps: Dependencies
) -> Order:
    price, quantity = at_broker.filled_avg_price, at_broker.filled_quantity
    if price is None or quantity > order.quantity:
        return _refuse(order, f"the broker reports {quantity} filled at {price} on an order of {order.quantity}")
    for attempt in range(MAX_ATTEMPTS):
        controls = deps.controls.get(deps.account_id)
        position = deps.store.get_position(deps.account_id, order.symbol)
        try:
            effect = apply_fill(position, order.side, quantity, price, NO_COMMISSION)
        except ValueError as exc:
            return _refuse(order, str(exc))
        filled = order.model_copy(
            update={
                "status": status,
                "reason": None if status is OrderStatus.FILLED else reason,
                "fills": [
                    Fill(
                        price=price,
                        quantity=quantity,
                        commission=effect.commission,
                        filled_at=at_broker.filled_at or deps.calendar.session_open(order.session or session),
                    )
                ],
                "price_source": f"{deps.broker.name} average fill price",
            }
        )
        outcome = deps.store.fill_pending(filled, effect, position, ControlsGuard(deps.account_id, controls.version))
        if outcome is CommitOutcome.COMMITTED:
            logger.info(
                "broker fill booked",
                extra={
                    "order_id": order.order_id,
                    "broker_order_id": order.broker_order_id,
                    "status": status.value,
                    "quantity": quantity,
                    "price": str(price),
                },
            )
            return filled
        if outcome is CommitOutcome.NOT_PENDING:
            return deps.store.get_order(order.order_id) or order
        if outcome is CommitOutcome.INSUFFICIENT_CASH:
            return _refuse(order, f"the book's cash does not cover {-effect.cash_delta}")
        time.sleep(0.01 * (attempt + 1))  # CONFLICT: the position or the controls moved; read again
    raise StoreError(f"order {order.order_id} kept conflicting with concurrent changes at the open; retry")


def _refuse(order: Order, why: str) -> Order:
    logger.error(
        "a broker fill the book cannot hold was not booked; reconciliation will show the difference",
        extra={"order_id": order.order_id, "broker_order_id": order.broker_order_id, "why": why},
    )
    return order
