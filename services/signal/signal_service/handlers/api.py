"""The signal service's HTTP API: one resolver, one router per concern."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from signal_service.handlers import (
    handle_current_model,
    handle_list_signals,
    handle_model_health,
    handle_run_signals,
)
from tradeloop_common.api import build_resolver, resolve_http
from tradeloop_common.observability import logger, metrics, tracer

app = build_resolver()
app.include_router(handle_list_signals.router)
app.include_router(handle_run_signals.router)
app.include_router(handle_current_model.router)
app.include_router(handle_model_health.router)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve_http(app, event, context)
