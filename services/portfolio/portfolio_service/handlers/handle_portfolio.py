from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from portfolio_service.logic import views
from portfolio_service.models.output import Health, History
from tradeloop_common.clock import WINDOW
from tradeloop_common.models import Portfolio, PositionView
from tradeloop_common.models.types import InWindow
from tradeloop_common.observability import metrics, tracer

router = APIGatewayHttpRouter()


@router.get("/health", summary="Liveness, with code and model versions", tags=["portfolio"])
@tracer.capture_method
def handle_get_health() -> Health:
    return views.health()


@router.get("/portfolio", summary="Cash, equity, marked positions and exposure", tags=["portfolio"])
@tracer.capture_method
def handle_get_portfolio() -> Portfolio:
    metrics.add_metric(name="PortfolioReads", unit=MetricUnit.Count, value=1)
    return views.current_portfolio()


@router.get("/portfolio/history", summary="Equity snapshots, oldest first", tags=["portfolio"])
@tracer.capture_method
def handle_get_history(
    start: Annotated[InWindow | None, Query(alias="from", description=f"ISO date or time, inclusive; {WINDOW}")] = None,
    end: Annotated[InWindow | None, Query(alias="to", description=f"ISO date or time, inclusive; {WINDOW}")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 5000,
) -> History:
    return views.history(start, end, limit)


@router.get("/positions/<symbol>", summary="One position", tags=["portfolio"])
@tracer.capture_method
def handle_get_position(symbol: Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9.\-]{0,9}$")]) -> PositionView:
    return views.one_position(symbol)
