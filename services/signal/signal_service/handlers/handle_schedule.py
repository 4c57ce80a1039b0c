"""EventBridge schedule: run the signal job (``detail.as_of`` sets the decision time, for replay;
otherwise the event's own time, which a redelivery of the same event repeats)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from signal_service.handlers.reporting import report_of
from signal_service.logic.decision_time import decision_time
from signal_service.logic.dependencies import get_dependencies
from signal_service.logic.run_signals import RunOutcome, run_signals
from tradeloop_common.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = event.get("detail") or {}
    deps = get_dependencies()
    outcome = run_signals(decision_time(detail.get("as_of") or event.get("time"), deps.clock), None, deps)
    metrics.add_metric(name="ScheduledSignalRuns", unit=MetricUnit.Count, value=1)
    return run_report(outcome)


def run_report(outcome: RunOutcome) -> dict[str, Any]:
    """The run as the handlers answer it, with its metrics (handlers/reporting.py)."""
    return report_of(outcome).model_dump(mode="json")
