"""SQS FIFO consumer: each record is a session's rebalance intent (group = the account, so an
account's sessions rebalance in order). A failed record goes back to the queue, and to the DLQ
after maxReceiveCount; successes are deleted by the event source mapping."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from order_service.handlers.trading_state import emit_trading_state
from order_service.logic.dependencies import get_dependencies
from order_service.logic.intents import PoisonIntentError, handle_intent_message
from tradeloop_common.dal.queue import get_dead_letters
from tradeloop_common.models import OrderStatus
from tradeloop_common.observability import logger, metrics, tracer

# The record model leaves the body a string on purpose: the processor parses records outside its
# error handling when it skips a group, so a body failing a strict model there would fail the
# whole batch. The intent is validated in the record handler instead.
processor = SqsFifoPartialProcessor(model=SqsRecordModel, skip_group_on_error=True)


@tracer.capture_method
def record_handler(record: SqsRecordModel) -> int:
    try:
        body = str(record.body)  # the plain SqsRecordModel keeps the body as the string it arrived as
        orders = handle_intent_message(body, get_dependencies())
    except PoisonIntentError as exc:
        # Failing it would not fail it alone: SQS FIFO hands out the later messages of its group (the
        # account's next intents) with it, so they would share its receive count and reach the DLQ
        # with it. It goes there now, by itself, saying why.
        get_dead_letters().send(body, record.attributes.MessageGroupId or "unreadable", record.messageId, str(exc))
        metrics.add_metric(name="IntentsDeadLettered", unit=MetricUnit.Count, value=1)
        logger.error("unreadable intent moved to the DLQ", extra={"message_id": record.messageId, "reason": str(exc)})
        return 0
    metrics.add_metric(name="IntentsProcessed", unit=MetricUnit.Count, value=1)
    pending = sum(1 for o in orders if o.status is OrderStatus.PENDING)
    metrics.add_metric(name="OrdersPending", unit=MetricUnit.Count, value=pending)
    logger.info("intent processed", extra={"message_id": record.messageId, "orders": len(orders), "pending": pending})
    return len(orders)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    deps = get_dependencies()
    # Once per batch, so a halted account keeps its alarm up while intents keep arriving.
    emit_trading_state(deps.controls.get(deps.account_id))
    return response
