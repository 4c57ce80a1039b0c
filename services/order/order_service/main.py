"""The order Lambda's single entry point: HTTP API requests and SQS order-intent batches."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tradeloop_common.events import EventKind, kind_of


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = kind_of(event)
    if kind is EventKind.HTTP:
        from order_service.handlers.api import lambda_handler as http_handler

        return http_handler(event, context)
    if kind is EventKind.SQS:
        from order_service.handlers.handle_order_intents import lambda_handler as sqs_handler

        return sqs_handler(event, context)
    raise ValueError(f"order service cannot handle a {kind.value} event")
