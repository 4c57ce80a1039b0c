"""The order Lambda's single entry point: HTTP API requests, SQS order-intent batches and the
daily pipeline's fill step."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tradeloop_common.events import EventKind, dispatch

HANDLERS = {
    EventKind.HTTP: "order_service.handlers.api:lambda_handler",
    EventKind.SQS: "order_service.handlers.handle_order_intents:lambda_handler",
    EventKind.PIPELINE: "order_service.handlers.handle_pipeline:lambda_handler",
}


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return dispatch("order", HANDLERS, event, context)
