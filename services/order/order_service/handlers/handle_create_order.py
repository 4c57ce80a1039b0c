from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from order_service.logic.create_order import create_order
from order_service.models.input import CreateOrderRequest
from tradeloop_common.api import BODY_ERRORS, responses
from tradeloop_common.models import Order
from tradeloop_common.observability import logger, metrics, tracer

router = APIGatewayHttpRouter()


@router.post(
    "/orders",
    summary="Place a market order",
    description="Idempotent on client_order_id: a retry returns the first order; the same key with a "
    "different body answers 409. Risk rejections are stored and returned with status REJECTED.",
    response_description="The order, FILLED or REJECTED with its reason",
    tags=["orders"],
    responses=responses(
        201,
        "The order, FILLED or REJECTED with its reason",
        *BODY_ERRORS,
        409,
        notes={
            409: "client_order_id was already used with a different body, or its first request is still in flight",
            422: "Failed validation (details name each field and the fix), including an unknown symbol and a "
            "field the API no longer takes, such as reference_price",
        },
    ),
)
@tracer.capture_method
def handle_create_order(request: Annotated[CreateOrderRequest, Body(embed=False)]) -> Response[Order]:
    logger.append_keys(client_order_id=request.client_order_id)
    metrics.add_metric(name="OrderRequests", unit=MetricUnit.Count, value=1)
    order = create_order(request=request)
    return Response(
        status_code=HTTPStatus.CREATED, content_type=content_types.APPLICATION_JSON, body=order.model_dump(mode="json")
    )
