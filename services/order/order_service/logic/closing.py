"""A PENDING order ends without a fill (REJECTED, CANCELLED, EXPIRED): one conditional write that
returns its reservation, only if it is still PENDING (else the order as it now stands)."""

from __future__ import annotations

from order_service.logic.context import Dependencies
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.models import Order, OrderStatus
from tradeloop_common.observability import logger


def close_order(order: Order, status: OrderStatus, reason: str, deps: Dependencies) -> Order:
    closed = order.model_copy(update={"status": status, "reason": reason})
    outcome = deps.store.close_pending(closed)
    if outcome is CommitOutcome.COMMITTED:
        logger.info(
            "pending order closed", extra={"order_id": order.order_id, "status": status.value, "reason": reason}
        )
        return closed
    return deps.store.get_order(order.order_id) or closed
