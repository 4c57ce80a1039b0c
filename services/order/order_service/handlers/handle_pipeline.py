"""The daily pipeline's fill step, started once session S's bars are in (the ingest's done event):
fill the market-on-open orders of S at its open, reconcile the book, write the snapshot at S's
close, apply the loss limits; then announce, so the signal step decides at S's close."""

import time
from datetime import date
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from order_service.handlers.trading_state import emit_trading_state
from order_service.logic.dependencies import get_dependencies
from order_service.logic.fills import fill_session
from order_service.logic.loss_check import check_loss_limits
from order_service.logic.reconcile import reconcile
from order_service.logic.snapshots import snapshot_at_close
from tradeloop_common.dal.pipeline_events import announce
from tradeloop_common.models import OrderStatus
from tradeloop_common.observability import logger, metrics, tracer
from tradeloop_common.pipeline import step_for


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    started = time.monotonic()  # bars read from here on are fresh for the whole step
    step = step_for(event, "order")
    detail = event.get("detail") or {}
    session = date.fromisoformat(str(detail["session"]))
    deps = get_dependencies()
    orders = fill_session(session, deps, started)
    filled = sum(1 for o in orders if o.status is OrderStatus.FILLED)
    metrics.add_metric(name="OrdersFilled", unit=MetricUnit.Count, value=filled)
    result = reconcile(session, deps)
    metrics.add_metric(name="ReconciliationDifferences", unit=MetricUnit.Count, value=len(result.differences))
    snapshot = snapshot_at_close(session, deps, started)
    breach = check_loss_limits(session, snapshot, deps)
    metrics.add_metric(name="LossLimitBreached", unit=MetricUnit.Count, value=1 if breach else 0)
    emit_trading_state(deps.controls.get(deps.account_id))
    summary = {"filled": filled, "equity": str(snapshot.equity), "differences": len(result.differences)}
    return {
        "session": session.isoformat(),
        "orders": [o.model_dump(mode="json") for o in orders],
        "reconciliation": result.model_dump(mode="json"),
        "snapshot": snapshot.model_dump(mode="json"),
        "loss_limit": None if breach is None else {"rule": breach.rule, "state": breach.state, "reason": breach.reason},
        "announced": announce(step, {**detail, step.name: summary}),
    }
