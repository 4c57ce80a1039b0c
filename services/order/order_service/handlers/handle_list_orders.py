from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from order_service.logic.dependencies import get_dependencies
from order_service.models.output import OrderList
from tradeloop_common.api import responses
from tradeloop_common.errors import NotFoundError
from tradeloop_common.models import Order, OrderStatus
from tradeloop_common.models.types import SYMBOL_PATTERN
from tradeloop_common.observability import metrics, tracer

router = APIGatewayHttpRouter()


@router.get(
    "/orders",
    summary="List orders, newest first",
    tags=["orders"],
    responses=responses(
        200, "A page of orders", 400, 422, notes={400: "next_token is not one this API issued for this query"}
    ),
)
@tracer.capture_method
def handle_list_orders(
    symbol: Annotated[str | None, Query(pattern=SYMBOL_PATTERN)] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> OrderList:
    metrics.add_metric(name="OrderListRequests", unit=MetricUnit.Count, value=1)
    deps = get_dependencies()
    orders, token = deps.store.list_orders(
        deps.account_id, symbol=symbol, status=status, limit=limit, next_token=next_token
    )
    return OrderList(orders=orders, next_token=token)


@router.get(
    "/orders/<order_id>",
    summary="One order with its fills",
    tags=["orders"],
    responses=responses(200, "The order", 404, 422, notes={404: "No order with this id in this account"}),
)
@tracer.capture_method
def handle_get_order(
    order_id: Annotated[str, Path(pattern=r"^[0-9a-f\-]{36}$", description="order_id as returned by POST")],
) -> Order:
    metrics.add_metric(name="OrderGetRequests", unit=MetricUnit.Count, value=1)
    order = get_dependencies().store.get_order(order_id)
    if order is None or order.account_id != get_dependencies().account_id:
        raise NotFoundError(f"no order {order_id}", [{"field": "order_id", "fix": "use an id from GET /orders"}])
    return order
