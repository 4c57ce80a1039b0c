"""The signal Lambda's single entry point: HTTP API requests and the scheduled signal run."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tradeloop_common.events import EventKind, dispatch

HANDLERS = {
    EventKind.HTTP: "signal_service.handlers.api:lambda_handler",
    EventKind.SCHEDULE: "signal_service.handlers.handle_schedule:lambda_handler",
    EventKind.PIPELINE: "signal_service.handlers.handle_pipeline:lambda_handler",
}


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return dispatch("signal", HANDLERS, event, context)
