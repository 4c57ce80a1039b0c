"""SQS FIFO consumer: each record should be an OrderIntent. Partial batch failures go back to the
queue (and to the DLQ after maxReceiveCount); successes are deleted by the event source mapping."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from order_service.handlers.trading_state import emit_trading_state
from order_service.logic.dependencies import get_dependencies
from order_service.logic.intents import handle_intent_message
from order_service.logic.snapshots import snapshot_after_fills
from tradeloop_common.models import Order, OrderStatus
from tradeloop_common.observability import logger, metrics, tracer

# FIFO per symbol (the message group): a failed record holds back the later records of its own group
# only; other symbols go on. The record model leaves the body a string on purpose: the processor
# parses records outside its error handling when it skips a group, so a body that fails a strict
# model there would fail the whole batch. The intent is validated in the record handler instead.
processor = SqsFifoPartialProcessor(model=SqsRecordModel, skip_group_on_error=True)
# Orders filled during the current invocation (a Lambda instance runs one invocation at a time).
_filled: list[Order] = []


@tracer.capture_method
def record_handler(record: SqsRecordModel) -> str | None:
    order = handle_intent_message(record.body, record.messageId, get_dependencies())
    metrics.add_metric(name="IntentsProcessed", unit=MetricUnit.Count, value=1)
    if order is not None and order.status is OrderStatus.FILLED:
        _filled.append(order)
    if order is not None:
        logger.info(
            "intent processed",
            extra={"client_order_id": order.client_order_id, "order_id": order.order_id, "status": order.status.value},
        )
    return order.order_id if order else None


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _filled.clear()
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    deps = get_dependencies()
    if _filled:
        snapshot_after_fills(_filled, deps)
    # Once per batch, so a halted account keeps its alarm up while intents keep arriving.
    emit_trading_state(deps.controls.get(deps.account_id))
    return response
