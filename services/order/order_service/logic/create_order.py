"""Manual orders through the API, behind Powertools idempotency on ``client_order_id``.

The idempotency layer answers retries from its cache and refuses a concurrent duplicate while the
first is in flight; the deterministic ``order_id`` underneath makes the store itself refuse a
second order even when that layer is off or its record has expired."""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

from order_service.logic.dependencies import get_dependencies
from order_service.logic.place_order import OrderTicket, place_order
from order_service.models.input import CreateOrderRequest
from tradeloop_common.models import Order
from tradeloop_common.settings import get_settings

idempotency_config = IdempotencyConfig(
    event_key_jmespath="client_order_id",
    payload_validation_jmespath="[symbol, side, quantity, type]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=24 * 3600,
)
persistence_layer = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)


@idempotent_function(
    data_keyword_argument="request",
    config=idempotency_config,
    persistence_store=persistence_layer,
    output_serializer=PydanticSerializer(model=Order),
)
def create_order(*, request: CreateOrderRequest) -> Order:
    deps = get_dependencies()
    ticket = OrderTicket(
        client_order_id=request.client_order_id,
        symbol=request.symbol,
        side=request.side,
        quantity=request.quantity,
        source="api",
    )
    return place_order(ticket, deps.clock.now(), deps)
