from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from tradeloop_common.models.types import InWindow, JsonDecimal, Symbol


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    MARKET = "market"


class OrderStatus(StrEnum):
    """PENDING (accepted, waiting for its fill) -> FILLED | REJECTED | CANCELLED | EXPIRED, with a
    reason for the last three. A manual order is FILLED or REJECTED at once."""

    PENDING = "PENDING"
    FILLED = "FILLED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"

    @property
    def closed(self) -> bool:
        return self is not OrderStatus.PENDING


class TimeInForce(StrEnum):
    OPG = "opg"  # market on open: fills at the official open of its session
    DAY = "day"  # a manual market order: fills at once, at the latest price the data has


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
    session: date | None = Field(default=None, description="The session the order trades in (its open, for opg)")
    time_in_force: TimeInForce = TimeInForce.DAY
    reserved: JsonDecimal = Field(
        default=Decimal(0), description="Buying power a PENDING order holds (a buy) or credits (a sell, negative)"
    )
    price_source: str | None = Field(default=None, description="Which price the fill took, e.g. open 2013-03-04")
    broker: str = "paper"
    broker_order_id: str | None = None
    request_hash: str = Field(exclude=True, default="")

    @property
    def filled_quantity(self) -> int:
        return sum(f.quantity for f in self.fills)


# Orders placed for intents are keyed "signal:<intent_id>"; the API refuses client_order_ids with
# this prefix, so a manual order can never take an intent's order (or the other way round).
INTENT_KEY_PREFIX = "signal:"
INTENT_ID_PATTERN = r"^[A-Za-z0-9_\-:.#]{1,128}$"


MAX_TARGETS = 1000


class RebalanceIntent(BaseModel):
    """What the signal service asks for after a session's close: hold these weights of equity from
    the next session's open. The order service turns the gap between them and what is held (plus
    pending) into market-on-open orders (tradeloop_common.execution)."""

    intent_id: str = Field(pattern=INTENT_ID_PATTERN)
    session: date = Field(description="The session whose close decided the targets")
    as_of: InWindow
    targets: dict[Symbol, Annotated[JsonDecimal, Field(ge=0, le=1)]] = Field(max_length=MAX_TARGETS)
    model_version: str = ""
