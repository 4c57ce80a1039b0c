"""The portfolio Lambda's single entry point: HTTP API requests and the scheduled equity snapshot."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tradeloop_common.events import EventKind, dispatch

HANDLERS = {
    EventKind.HTTP: "portfolio_service.handlers.api:lambda_handler",
    EventKind.SCHEDULE: "portfolio_service.handlers.handle_schedule:lambda_handler",
    EventKind.PIPELINE: "portfolio_service.handlers.handle_pipeline:lambda_handler",
}


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return dispatch("portfolio", HANDLERS, event, context)
