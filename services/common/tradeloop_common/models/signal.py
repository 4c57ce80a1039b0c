from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tradeloop_common.models.types import JsonDecimal, Symbol


class Signal(BaseModel):
    signal_id: str
    symbol: Symbol
    as_of: datetime
    probability: JsonDecimal = Field(ge=0, le=1)
    target_weight: JsonDecimal = Field(ge=0, le=1)
    model_version: str
    created_at: datetime | None = None
