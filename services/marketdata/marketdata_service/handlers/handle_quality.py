from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from marketdata_service.logic.dependencies import get_dependencies
from marketdata_service.logic.quality import latest_quality
from marketdata_service.models.output import QualityReport
from tradeloop_common.api import responses
from tradeloop_common.models.types import SYMBOL_PATTERN
from tradeloop_common.observability import metrics, tracer

router = APIGatewayHttpRouter()


@router.get(
    "/marketdata/quality",
    summary="The data quality report of the latest ingest",
    description="Per symbol: range and rows, sessions without a bar, duplicate or unsorted rows, zero-volume days, "
    "the share of days whose open equals the previous close, suspicious jumps (an unadjusted split looks like one), "
    "and for a session of the daily pipeline the bars appended, restated bars and symbols still missing.",
    tags=["marketdata"],
    responses=responses(
        200,
        "The report",
        404,
        422,
        notes={404: "Nothing ingested yet, or no such symbol in the latest report (the error says what to run)"},
    ),
)
@tracer.capture_method
def handle_quality(symbol: Annotated[str | None, Query(pattern=SYMBOL_PATTERN)] = None) -> QualityReport:
    metrics.add_metric(name="QualityRequests", unit=MetricUnit.Count, value=1)
    return latest_quality(get_dependencies(), symbol)
