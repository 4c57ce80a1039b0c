from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, PlainSerializer

from tradeloop_common.models.types import NumberSchema, number_only


class TradingState(StrEnum):
    ACTIVE = "ACTIVE"
    REDUCE_ONLY = "REDUCE_ONLY"
    HALTED = "HALTED"


# Bounds of each limit, the one copy for the stored controls and for a change to them. Beyond them a
# number is no limit at all (1e200 dollars) or not storable (DynamoDB keeps 38 digits, |x| < 1e126);
# within them a value is rounded to cents (notional) or to 6 decimals (weights), so any number the
# schema allows is accepted and stored exactly.
CENT, MICRO = Decimal("0.01"), Decimal("0.000001")


def _limit(low: Decimal | int, high: int, step: Decimal, description: str) -> Any:
    """A limit: a JSON number from ``low`` to ``high``, stored rounded to ``step``."""
    return Annotated[
        Decimal,
        Field(ge=low, le=high, allow_inf_nan=False, description=description),
        BeforeValidator(number_only),
        AfterValidator(lambda v: v.quantize(step)),
        PlainSerializer(float, return_type=float, when_used="json"),
        NumberSchema(),
    ]


if TYPE_CHECKING:  # a type checker sees the Decimal each one is
    OrderNotional: TypeAlias = Decimal
    PositionWeight: TypeAlias = Decimal
    GrossExposure: TypeAlias = Decimal
    LossLimit: TypeAlias = Decimal
else:
    OrderNotional = _limit(1, 10**12, CENT, "Dollars, 1 to 1e12 (rounded to cents)")
    PositionWeight = _limit(MICRO, 1, MICRO, "Share of equity in one symbol, 0.000001 to 1")
    GrossExposure = _limit(MICRO, 4, MICRO, "Sum of |positions| / equity, 0.000001 to 4")
    LossLimit = _limit(0, 1, MICRO, "Share of equity, 0 to 1 (0 = off)")


class LossAction(StrEnum):
    """What a crossed loss limit sets the trading state to, by itself."""

    REDUCE_ONLY = "REDUCE_ONLY"
    HALTED = "HALTED"


class RiskLimits(BaseModel):
    max_order_notional: OrderNotional = Decimal("250000")
    max_position_weight: PositionWeight = Decimal("0.5")
    max_gross_exposure: GrossExposure = Decimal("1.0")
    max_daily_loss: LossLimit = Field(
        default=Decimal("0.05"), description="Close-to-close loss that stops buying by itself (0 = off)"
    )
    max_drawdown: LossLimit = Field(
        default=Decimal("0.25"),
        description="Fall from the equity peak (since the last resume by a person) that stops buying (0 = off)",
    )
    loss_action: LossAction = LossAction.REDUCE_ONLY


class Controls(BaseModel):
    trading_state: TradingState = TradingState.ACTIVE
    limits: RiskLimits = Field(default_factory=RiskLimits)
    updated_at: datetime | None = None
    version: int = 0
    changed_by: str | None = Field(default=None, description="Who made the last change: person:<who> or rule:<name>")
    reason: str | None = Field(default=None, description="Why, as its author said")


class ControlsChange(BaseModel):
    """One change of the trading state or the limits, by a person or by a rule: the history."""

    account_id: str
    version: int = Field(description="The controls' version after the change")
    at: datetime
    actor: str = Field(description="person:<who> (through the API) or rule:<name> (acting by itself)")
    reason: str | None = None
    old_state: TradingState
    new_state: TradingState
    old_limits: RiskLimits
    new_limits: RiskLimits

    @classmethod
    def between(
        cls, account_id: str, old: Controls, new: Controls, at: datetime, actor: str, reason: str | None
    ) -> ControlsChange:
        """The record of ``old`` becoming ``new`` (version and values from them)."""
        return cls(
            account_id=account_id,
            version=new.version,
            at=at,
            actor=actor,
            reason=reason,
            old_state=old.trading_state,
            new_state=new.trading_state,
            old_limits=old.limits,
            new_limits=new.limits,
        )
