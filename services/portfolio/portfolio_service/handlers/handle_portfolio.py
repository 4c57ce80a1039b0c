from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from portfolio_service.logic import views
from portfolio_service.logic.dependencies import get_dependencies
from portfolio_service.models.output import Health, History
from tradeloop_common.api import responses
from tradeloop_common.clock import WINDOW
from tradeloop_common.models import Portfolio, PositionView
from tradeloop_common.models.types import SYMBOL_PATTERN, InWindow
from tradeloop_common.observability import metrics, tracer

router = APIGatewayHttpRouter()


@router.get(
    "/health",
    summary="Liveness, with code and model versions",
    tags=["portfolio"],
    responses=responses(200, "Status and checks (degraded, not an error, when a store is down)"),
)
@tracer.capture_method
def handle_get_health() -> Health:
    return views.health(get_dependencies())


@router.get(
    "/portfolio",
    summary="Cash, equity, marked positions and exposure",
    tags=["portfolio"],
    responses=responses(200, "The portfolio"),
)
@tracer.capture_method
def handle_get_portfolio() -> Portfolio:
    metrics.add_metric(name="PortfolioReads", unit=MetricUnit.Count, value=1)
    return views.current_portfolio(get_dependencies())


@router.get(
    "/portfolio/history",
    summary="Equity snapshots, oldest first",
    tags=["portfolio"],
    responses=responses(200, "Snapshots and the buy-and-hold benchmark", 422),
)
@tracer.capture_method
def handle_get_history(
    start: Annotated[InWindow | None, Query(alias="from", description=f"ISO date or time, inclusive; {WINDOW}")] = None,
    end: Annotated[InWindow | None, Query(alias="to", description=f"ISO date or time, inclusive; {WINDOW}")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 5000,
) -> History:
    return views.history(start, end, limit, get_dependencies())


@router.get(
    "/positions/<symbol>",
    summary="One position",
    tags=["portfolio"],
    responses=responses(200, "The position", 404, 422, notes={404: "No position in this symbol"}),
)
@tracer.capture_method
def handle_get_position(symbol: Annotated[str, Path(pattern=SYMBOL_PATTERN)]) -> PositionView:
    return views.one_position(symbol, get_dependencies())
