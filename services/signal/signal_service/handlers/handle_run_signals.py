from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from signal_service.handlers.reporting import report_of
from signal_service.logic.decision_time import decision_time
from signal_service.logic.dependencies import get_dependencies
from signal_service.logic.run_signals import run_signals
from signal_service.models.input import RunSignalsRequest
from signal_service.models.output import RunReport
from tradeloop_common.api import BODY_ERRORS, responses
from tradeloop_common.observability import logger, metrics, tracer

router = APIGatewayHttpRouter()


@router.post(
    "/signals/run",
    summary="Run the signal job now",
    description="Scores each symbol with the live model as of `as_of`, writes one signal per symbol (write-once: "
    "a rerun returns the same signals and sends no second order) and one order intent per change of target. "
    "Refuses to trade (HOLD, with the reason) on a missing, corrupt or old model, or stale data; while the model's "
    "feature drift is at HALT it holds new entries (exits trade). Answers the live model's health at `as_of`.",
    tags=["signals"],
    responses=responses(
        200,
        "The run: one signal per symbol, the intents sent, how many symbols it refused to trade",
        *BODY_ERRORS,
        notes={422: "Failed validation, including symbols without market data and an as_of outside the window"},
    ),
)
@tracer.capture_method
def handle_run_signals(request: Annotated[RunSignalsRequest, Body(embed=False)]) -> RunReport:
    metrics.add_metric(name="SignalRunRequests", unit=MetricUnit.Count, value=1)
    deps = get_dependencies()
    outcome = run_signals(decision_time(request.as_of, deps.clock), request.symbols, deps)
    logger.info("signal run requested", extra={"as_of": outcome.as_of.isoformat(), "intents": len(outcome.intents)})
    return report_of(outcome)
