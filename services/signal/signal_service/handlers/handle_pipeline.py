"""The daily pipeline's signal step: started by the previous step's done event for session S
(tradeloop_common.pipeline), it decides at the close of S on the traded universe, requiring S's
own bar (a symbol whose bar is late HOLDs with the reason), sends the intents, and announces."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from signal_service.handlers.handle_schedule import run_report
from signal_service.logic.decision_time import decision_time
from signal_service.logic.dependencies import get_dependencies
from signal_service.logic.run_signals import run_signals
from tradeloop_common.dal.pipeline_events import announce
from tradeloop_common.observability import logger, metrics, tracer
from tradeloop_common.pipeline import step_for


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = step_for(event, "signal")
    detail = event.get("detail") or {}
    deps = get_dependencies()
    # The session's bar or nothing: the daily pipeline never decides on yesterday's data.
    outcome = run_signals(decision_time(detail.get("as_of") or detail["session"], deps.clock), None, deps, 0)
    metrics.add_metric(name="PipelineSignalRuns", unit=MetricUnit.Count, value=1)
    report = run_report(outcome)
    summary = {"signals": len(outcome.signals), "intents": len(outcome.intents), "holds": outcome.holds}
    report["announced"] = announce(step, {**detail, step.name: summary})
    return report
