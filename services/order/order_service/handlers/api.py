"""The order service's HTTP API: one resolver, one router per concern."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from order_service.handlers import handle_controls, handle_create_order, handle_list_orders
from order_service.logic.create_order import idempotency_config
from order_service.models.input import RETIRED_FIELDS
from tradeloop_common.api import build_resolver, error_response, resolve_http
from tradeloop_common.observability import logger, metrics, tracer

app = build_resolver(retired_fields=RETIRED_FIELDS)
app.include_router(handle_create_order.router)
app.include_router(handle_list_orders.router)
app.include_router(handle_controls.router)


@app.exception_handler(IdempotencyValidationError)
def _key_reused(exc: IdempotencyValidationError) -> Response:
    return error_response(
        409,
        "idempotency_key_reused",
        "client_order_id was already used with a different order body",
        [{"field": "client_order_id", "fix": "use a new client_order_id for a new order"}],
    )


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _in_progress(exc: IdempotencyAlreadyInProgressError) -> Response:
    return error_response(
        409,
        "request_in_progress",
        "an order with this client_order_id is being processed",
        [{"field": "client_order_id", "fix": "retry in a few seconds to get its result"}],
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)
    return resolve_http(app, event, context)
