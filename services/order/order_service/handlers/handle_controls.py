from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from order_service.handlers.trading_state import emit_trading_state
from order_service.logic.controls import get_controls, update_controls
from order_service.logic.dependencies import get_dependencies
from order_service.models.input import UpdateControlsRequest
from tradeloop_common.models import Controls
from tradeloop_common.observability import metrics, tracer

router = APIGatewayHttpRouter()


@router.get("/controls", summary="Kill switch state and risk limits", tags=["controls"])
@tracer.capture_method
def handle_get_controls() -> Controls:
    deps = get_dependencies()
    controls = get_controls(deps.controls, deps.account_id)
    emit_trading_state(controls)
    return controls


@router.put("/controls", summary="Set the kill switch and/or risk limits", tags=["controls"])
@tracer.capture_method
def handle_put_controls(change: Annotated[UpdateControlsRequest, Body(embed=False)]) -> Controls:
    metrics.add_metric(name="ControlsChanges", unit=MetricUnit.Count, value=1)
    deps = get_dependencies()
    controls = update_controls(deps.controls, deps.account_id, change)
    emit_trading_state(controls)
    return controls
