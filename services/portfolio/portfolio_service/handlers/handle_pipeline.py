"""The daily pipeline's snapshot step: the equity snapshot at the close of session S, once S's bars
are in (the previous step's done event), then announce so the signal step starts."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from portfolio_service.logic import views
from tradeloop_common.clock import in_window, parse_as_of
from tradeloop_common.dal.pipeline_events import announce
from tradeloop_common.observability import logger, metrics, tracer
from tradeloop_common.pipeline import step_for


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = step_for(event, "portfolio")
    detail = event.get("detail") or {}
    snapshot = views.take_snapshot(in_window(parse_as_of(detail["as_of"])))
    logger.info("snapshot written", extra={"as_of": snapshot.as_of.isoformat(), "equity": str(snapshot.equity)})
    result = snapshot.model_dump(mode="json")
    result["announced"] = announce(step, {**detail, step.name: {"equity": result["equity"]}})
    return result
