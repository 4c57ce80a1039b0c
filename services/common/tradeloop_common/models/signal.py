from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from tradeloop_common.models.types import JsonDecimal, Symbol


class SignalAction(StrEnum):
    TARGET = "TARGET"  # the model decided this target weight
    HOLD = "HOLD"  # the service refused to trade (see ``reason``): the previous target stands


class Signal(BaseModel):
    """One decision for one symbol at one time; written once (key: symbol, as_of)."""

    signal_id: str
    symbol: Symbol
    as_of: datetime
    probability: JsonDecimal | None = Field(default=None, ge=0, le=1)
    target_weight: JsonDecimal = Field(ge=0, le=1)
    model_version: str
    action: SignalAction = SignalAction.TARGET
    reason: str | None = None
    intent_id: str | None = None  # set when the target changed and an order intent was sent
    created_at: datetime | None = None
