from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from tradeloop_common.models.types import JsonDecimal, Symbol


class Position(BaseModel):
    """A stored position. ``cost_basis`` includes the commissions paid to open it."""

    symbol: Symbol
    quantity: int = 0
    cost_basis: JsonDecimal = Decimal("0")
    realized_pnl: JsonDecimal = Decimal("0")
    version: int = 0

    @property
    def avg_cost(self) -> Decimal:
        return self.cost_basis / self.quantity if self.quantity else Decimal("0")


class PositionView(BaseModel):
    symbol: str
    quantity: int
    avg_cost: JsonDecimal
    last_price: JsonDecimal | None
    market_value: JsonDecimal
    unrealized_pnl: JsonDecimal
    realized_pnl: JsonDecimal
    weight: JsonDecimal


class Portfolio(BaseModel):
    account_id: str
    as_of: datetime
    cash: JsonDecimal
    equity: JsonDecimal
    positions_value: JsonDecimal
    gross_exposure: JsonDecimal  # sum of |market value|, in account currency
    leverage: JsonDecimal  # gross_exposure / equity
    unrealized_pnl: JsonDecimal
    realized_pnl: JsonDecimal
    positions: list[PositionView]
    buying_power: JsonDecimal | None = Field(
        default=None, description="Cash less what pending orders reserve: what a new buy may spend"
    )
    reserved: JsonDecimal | None = Field(default=None, description="Cash held for pending buys (net of pending sells)")


class Snapshot(BaseModel):
    account_id: str
    as_of: datetime
    cash: JsonDecimal
    equity: JsonDecimal
    positions_value: JsonDecimal
    gross_exposure: JsonDecimal
