"""Request models of the order service (the edge: strict, with a fix in every constraint)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from tradeloop_common.models import OrderStatus, RiskLimits, Side, TradingState
from tradeloop_common.models.controls import GrossExposure, LossAction, LossLimit, OrderNotional, PositionWeight
from tradeloop_common.models.order import INTENT_KEY_PREFIX
from tradeloop_common.models.types import Symbol

ClientOrderId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_\-:.]{1,64}$",
        description="Your idempotency key: a retry with the same key returns the first order",
        examples=["ticket-2024-0001"],
    ),
]


def _whole_float_as_int(value: Any) -> Any:
    """JSON Schema counts 10.0 as an integer, so do we; 10.5 and "10" stay refused (strict int)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class CreateOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_order_id: ClientOrderId
    symbol: Symbol
    side: Side
    quantity: Annotated[
        int,
        Field(strict=True, gt=0, le=10_000_000, description="Whole shares, > 0"),
        BeforeValidator(_whole_float_as_int),  # after Field: runs first, and keeps the schema's bounds
    ]
    type: Literal["market"] = "market"

    @field_validator("client_order_id")
    @classmethod
    def _not_an_intent_key(cls, value: str) -> str:
        if value.startswith(INTENT_KEY_PREFIX):
            raise ValueError(
                f"the prefix {INTENT_KEY_PREFIX!r} is reserved for order intents; choose another client_order_id"
            )
        return value


# Fields this API used to take and now refuses (422), with the fix the error gives.
RETIRED_FIELDS = {
    "reference_price": "remove 'reference_price': fill prices come from market data only "
    "(the next session's open, or the latest close)",
}


def _omitted_not_null(value: Any) -> Any:
    """An optional field of a change is left out, never sent as null (the schema says so too)."""
    if value is None:
        raise ValueError("leave the field out instead of sending null")
    return value


def _schema_of_a_change(*fields: str, **extra: Any) -> Callable[[dict[str, Any]], None]:
    """The JSON schema of a change: ``fields`` may be left out but are not nullable; plus ``extra``
    (how many of them it needs)."""

    def edit(schema: dict[str, Any]) -> None:
        for name in fields:
            prop = schema["properties"][name]
            branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
            prop.update(branches[0] if len(branches) == 1 else {"anyOf": branches})
            prop.pop("default", None)
        schema.update(extra)

    return edit


class LimitsPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=_schema_of_a_change(
            "max_order_notional",
            "max_position_weight",
            "max_gross_exposure",
            "max_daily_loss",
            "max_drawdown",
            "loss_action",
            minProperties=1,
        ),
    )

    max_order_notional: OrderNotional | None = None
    max_position_weight: PositionWeight | None = None
    max_gross_exposure: GrossExposure | None = None
    max_daily_loss: LossLimit | None = None
    max_drawdown: LossLimit | None = None
    loss_action: LossAction | None = None

    _not_null = field_validator("*", mode="before")(_omitted_not_null)

    @model_validator(mode="after")
    def _names_a_limit(self) -> LimitsPatch:
        if not self.model_dump(exclude_none=True):
            raise ValueError(
                f"no limit given: send at least one of {', '.join(type(self).model_fields)} "
                "(or leave 'limits' out and send trading_state)"
            )
        return self

    def apply(self, limits: RiskLimits) -> RiskLimits:
        return limits.model_copy(update=self.model_dump(exclude_none=True))


class UpdateControlsRequest(BaseModel):
    """A change to the controls. A request that asks for no change is refused (422): it could only be
    a client bug, and writing it would move the version every fill's transaction checks."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=_schema_of_a_change(
            "trading_state", "limits", anyOf=[{"required": ["trading_state"]}, {"required": ["limits"]}]
        ),
    )

    trading_state: TradingState | None = None
    limits: LimitsPatch | None = None
    reason: Annotated[
        str | None,
        Field(
            max_length=200,
            description="Kept in GET /controls/history with the change; required to resume (loosen the state)",
        ),
    ] = None

    _not_null = field_validator("trading_state", "limits", mode="before")(_omitted_not_null)

    @model_validator(mode="after")
    def _asks_for_a_change(self) -> UpdateControlsRequest:
        if self.trading_state is None and self.limits is None:
            raise ValueError("nothing to change: send trading_state and/or limits")
        return self


StatusFilter = OrderStatus | None
