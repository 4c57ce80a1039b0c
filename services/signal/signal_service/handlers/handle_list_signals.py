from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from signal_service.logic.dependencies import get_dependencies
from signal_service.logic.views import list_signals
from signal_service.models.output import SignalList
from tradeloop_common.api import responses
from tradeloop_common.models.types import SYMBOL_PATTERN
from tradeloop_common.observability import metrics, tracer

router = APIGatewayHttpRouter()


@router.get(
    "/signals",
    summary="Latest signal per symbol, or one symbol's history",
    description="Without `symbol`: the latest signal of every symbol. With `symbol`: its signals, newest first, "
    "`limit` at a time (pass `next_token` for the next page).",
    tags=["signals"],
    responses=responses(200, "Signals", 400, 422, notes={400: "next_token is not one this API issued for this symbol"}),
)
@tracer.capture_method
def handle_list_signals(
    symbol: Annotated[str | None, Query(pattern=SYMBOL_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> SignalList:
    metrics.add_metric(name="SignalListRequests", unit=MetricUnit.Count, value=1)
    return list_signals(get_dependencies(), symbol, limit, next_token)
