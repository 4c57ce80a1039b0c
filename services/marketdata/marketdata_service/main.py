"""The market-data Lambda's single entry point: the schedule (the daily pipeline's first step) and
the HTTP API (the quality report)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tradeloop_common.events import EventKind, dispatch

HANDLERS = {
    EventKind.HTTP: "marketdata_service.handlers.api:lambda_handler",
    EventKind.SCHEDULE: "marketdata_service.handlers.handle_schedule:lambda_handler",
}


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return dispatch("marketdata", HANDLERS, event, context)
