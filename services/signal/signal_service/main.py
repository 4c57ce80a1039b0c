"""The signal Lambda's single entry point: HTTP API requests and the scheduled signal run."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tradeloop_common.events import EventKind, kind_of


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    kind = kind_of(event)
    if kind is EventKind.HTTP:
        from signal_service.handlers.api import lambda_handler as http_handler

        return http_handler(event, context)
    if kind is EventKind.SCHEDULE:
        from signal_service.handlers.handle_schedule import lambda_handler as schedule_handler

        return schedule_handler(event, context)
    raise ValueError(f"signal service cannot handle a {kind.value} event")
