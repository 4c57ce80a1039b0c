from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from tradeloop_common.models.types import JsonDecimal


class TradingState(StrEnum):
    ACTIVE = "ACTIVE"
    REDUCE_ONLY = "REDUCE_ONLY"
    HALTED = "HALTED"


class RiskLimits(BaseModel):
    max_order_notional: JsonDecimal = Field(default=Decimal("250000"), gt=0)
    max_position_weight: JsonDecimal = Field(default=Decimal("0.5"), gt=0, le=1)
    max_gross_exposure: JsonDecimal = Field(default=Decimal("1.0"), gt=0, le=4)


class Controls(BaseModel):
    trading_state: TradingState = TradingState.ACTIVE
    limits: RiskLimits = Field(default_factory=RiskLimits)
    updated_at: datetime | None = None
    version: int = 0
