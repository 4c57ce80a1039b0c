from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from signal_service.logic.dependencies import get_dependencies
from signal_service.logic.views import current_model
from signal_service.models.output import CurrentModel
from tradeloop_common.api import responses
from tradeloop_common.observability import metrics, tracer

router = APIGatewayHttpRouter()


@router.get(
    "/models/current",
    summary="The live model: manifest and a presigned URL for its model.h5",
    tags=["models"],
    responses=responses(
        200, "The live model", 404, notes={404: "No model is live yet (the error says how to publish one)"}
    ),
)
@tracer.capture_method
def handle_current_model() -> CurrentModel:
    metrics.add_metric(name="ModelRequests", unit=MetricUnit.Count, value=1)
    return current_model(get_dependencies())
