from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from tradeloop_common.models.types import JsonDecimal


class TradingState(StrEnum):
    ACTIVE = "ACTIVE"
    REDUCE_ONLY = "REDUCE_ONLY"
    HALTED = "HALTED"


# Bounds of each limit, the one copy for the stored controls and for a change to them. Beyond them
# a number is no limit at all (1e200 dollars) or not storable (DynamoDB keeps 38 digits, |x| < 1e126).
OrderNotional = Annotated[
    JsonDecimal,
    Field(ge=1, le=10**12, max_digits=15, decimal_places=2, allow_inf_nan=False, description="Dollars, 1 to 1e12"),
]
PositionWeight = Annotated[
    JsonDecimal,
    Field(gt=0, le=1, decimal_places=6, allow_inf_nan=False, description="Share of equity in one symbol, (0, 1]"),
]
GrossExposure = Annotated[
    JsonDecimal,
    Field(gt=0, le=4, decimal_places=6, allow_inf_nan=False, description="Sum of |positions| / equity, (0, 4]"),
]


class RiskLimits(BaseModel):
    max_order_notional: OrderNotional = Decimal("250000")
    max_position_weight: PositionWeight = Decimal("0.5")
    max_gross_exposure: GrossExposure = Decimal("1.0")


class Controls(BaseModel):
    trading_state: TradingState = TradingState.ACTIVE
    limits: RiskLimits = Field(default_factory=RiskLimits)
    updated_at: datetime | None = None
    version: int = 0
