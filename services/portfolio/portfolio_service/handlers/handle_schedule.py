"""EventBridge schedule: write an equity snapshot (``detail.as_of`` overrides now, for replay)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from portfolio_service.logic import views
from portfolio_service.logic.dependencies import get_dependencies
from tradeloop_common.clock import in_window, parse_as_of
from tradeloop_common.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = event.get("detail") or {}
    as_of = in_window(parse_as_of(detail["as_of"])) if detail.get("as_of") else None
    snapshot = views.take_snapshot(as_of, get_dependencies())
    logger.info("snapshot written", extra={"as_of": snapshot.as_of.isoformat(), "equity": str(snapshot.equity)})
    return snapshot.model_dump(mode="json")
