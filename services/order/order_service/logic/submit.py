"""A rebalance's PENDING orders go to a broker that executes them (alpaca): market-on-open, our
``order_id`` as the broker's ``client_order_id``.

The broker refuses a second order with the same ``client_order_id``, and the adapter then answers
the order it already holds, so a redelivered or retried intent submits each order once. Every
order the intent may have placed is looked at (its id is derived from the intent and the symbol),
whichever delivery placed it, and so is every other order PENDING for the same open: an order
stored by a delivery that failed before submitting (and was never delivered again) is submitted by
the next intent. A refusal closes the order REJECTED with the broker's reason, returning its
reservation; a broker that cannot be reached fails the message, which SQS delivers again. An
order left PENDING for an open already past is not submitted (it would trade at a later open than
decided): the session-open step expires it."""

from __future__ import annotations

from order_service.logic.closing import close_order
from order_service.logic.context import Dependencies
from order_service.logic.place_order import order_id_for
from order_service.logic.rebalance import order_key
from tradeloop_common.models import Order, OrderStatus, RebalanceIntent
from tradeloop_common.observability import logger


def submit_orders(intent: RebalanceIntent, placed: list[Order], deps: Dependencies) -> list[Order]:
    """The intent's orders after submission (the paper broker submits nothing: ``placed``)."""
    if not deps.broker.executes_orders:
        return placed
    known = {o.order_id: o for o in placed}
    orders = []
    for symbol in sorted(intent.targets):
        order_id = order_id_for(deps.account_id, order_key(intent, symbol))
        order = known.get(order_id) or deps.store.get_order(order_id)
        if order is None:
            continue  # no trade was needed for this symbol
        if order.status is OrderStatus.PENDING:
            order = _submit(order, deps)
        orders.append(order)
    ours = {o.order_id for o in orders}
    trade_session = deps.calendar.local_date(deps.calendar.next_open(intent.as_of))
    for waiting in deps.store.list_pending(deps.account_id):
        if waiting.order_id not in ours and waiting.session == trade_session:
            _submit(waiting, deps)
    return orders


def _submit(order: Order, deps: Dependencies) -> Order:
    at_broker = deps.broker.submit(order)
    if at_broker is None:
        return order
    logger.info(
        "order at the broker",
        extra={
            "order_id": order.order_id,
            "broker": deps.broker.name,
            "broker_order_id": at_broker.broker_order_id,
            "broker_status": at_broker.status.value,
        },
    )
    if at_broker.broker_order_id is None:  # refused: it never reached the book of the broker
        return close_order(order, OrderStatus.REJECTED, at_broker.reason or f"{deps.broker.name} refused it", deps)
    return order
