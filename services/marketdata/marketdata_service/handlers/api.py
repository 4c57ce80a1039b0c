"""The market-data service's HTTP API: the quality report."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from marketdata_service.handlers import handle_quality
from tradeloop_common.api import build_resolver, resolve_http
from tradeloop_common.observability import logger, metrics, tracer

app = build_resolver()
app.include_router(handle_quality.router)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve_http(app, event, context)
