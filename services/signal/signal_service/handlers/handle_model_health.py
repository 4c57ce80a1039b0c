from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from signal_service.logic.dependencies import get_dependencies
from signal_service.logic.views import model_health_history
from signal_service.models.output import HealthHistory
from tradeloop_common.api import responses
from tradeloop_common.observability import metrics, tracer

router = APIGatewayHttpRouter()


@router.get(
    "/models/health",
    summary="The live model's feature drift and decay, run by run",
    description="One record per signal run's decision time, newest first (`limit` of them): each feature's PSI "
    "against the training deciles, its training envelope and the excess the levels judge (OK, WARN: alert, "
    "HALT: new entries held), and the live hit rate and long return against the walk-forward's interval. "
    "`thresholds` states the levels.",
    tags=["models"],
    responses=responses(200, "The health records and the levels", 422),
)
@tracer.capture_method
def handle_model_health(limit: Annotated[int, Query(ge=1, le=500)] = 60) -> HealthHistory:
    metrics.add_metric(name="ModelHealthRequests", unit=MetricUnit.Count, value=1)
    return model_health_history(get_dependencies(), limit)
