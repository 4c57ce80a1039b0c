from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from order_service.handlers.trading_state import emit_trading_state
from order_service.logic.controls import controls_history, get_controls, update_controls
from order_service.logic.dependencies import get_dependencies
from order_service.models.input import UpdateControlsRequest
from order_service.models.output import ControlsHistory
from tradeloop_common.api import BODY_ERRORS, caller, responses
from tradeloop_common.models import Controls
from tradeloop_common.observability import metrics, tracer

router = APIGatewayHttpRouter()


@router.get(
    "/controls",
    summary="Kill switch state and risk limits",
    tags=["controls"],
    responses=responses(200, "The controls"),
)
@tracer.capture_method
def handle_get_controls() -> Controls:
    deps = get_dependencies()
    controls = get_controls(deps.controls, deps.account_id)
    emit_trading_state(controls)
    return controls


@router.put(
    "/controls",
    summary="Set the kill switch and/or risk limits",
    description="A change that leaves state and limits as they are writes nothing and answers the controls as "
    "they are (same version); a body that asks for no change (e.g. {} or only a reason) is 422; resuming "
    "(a looser trading_state) without a reason is 422. Every change is kept in GET /controls/history.",
    tags=["controls"],
    responses=responses(
        200,
        "The controls after the change",
        *BODY_ERRORS,
        409,
        notes={409: "The controls changed since they were read: GET them and re-apply the change"},
    ),
)
@tracer.capture_method
def handle_put_controls(change: Annotated[UpdateControlsRequest, Body(embed=False)]) -> Controls:
    metrics.add_metric(name="ControlsChanges", unit=MetricUnit.Count, value=1)
    deps = get_dependencies()
    controls = update_controls(deps.controls, deps.account_id, change, f"person:{caller(router.current_event)}")
    emit_trading_state(controls)
    return controls


@router.get(
    "/controls/history",
    summary="Every change of the trading state or the limits, newest first",
    description="By a person through the API (actor person:<who>) or by a rule acting by itself "
    "(rule:reconciliation, rule:max_drawdown, rule:max_daily_loss), with the reason, old and new.",
    tags=["controls"],
    responses=responses(200, "The changes", 422),
)
@tracer.capture_method
def handle_get_controls_history(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ControlsHistory:
    deps = get_dependencies()
    return ControlsHistory(changes=controls_history(deps.controls, deps.account_id, limit))
