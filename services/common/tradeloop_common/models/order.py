from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from tradeloop_common.models.types import InWindow, JsonDecimal, Symbol


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "market"


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    FILLED = "FILLED"
    REJECTED = "REJECTED"


class Fill(BaseModel):
    price: JsonDecimal
    quantity: int
    commission: JsonDecimal
    filled_at: datetime


class Order(BaseModel):
    order_id: str
    client_order_id: str
    account_id: str
    symbol: Symbol
    side: Side
    quantity: int
    type: OrderType = OrderType.MARKET
    status: OrderStatus
    reason: str | None = None
    fills: list[Fill] = Field(default_factory=list)
    source: str = "api"
    as_of: datetime
    created_at: datetime
    request_hash: str = Field(exclude=True, default="")

    @property
    def filled_quantity(self) -> int:
        return sum(f.quantity for f in self.fills)


# Orders placed for intents are keyed "signal:<intent_id>"; the API refuses client_order_ids with
# this prefix, so a manual order can never take an intent's order (or the other way round).
INTENT_KEY_PREFIX = "signal:"
INTENT_ID_PATTERN = r"^[A-Za-z0-9_\-:.#]{1,128}$"


class OrderIntent(BaseModel):
    """What the signal service asks for: a target weight for a symbol, decided at ``as_of``."""

    intent_id: str = Field(pattern=INTENT_ID_PATTERN)
    symbol: Symbol
    target_weight: JsonDecimal = Field(ge=0, le=1)
    as_of: InWindow
    model_version: str = ""
    signal_id: str = ""
