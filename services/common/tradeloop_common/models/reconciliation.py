from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from tradeloop_common.models.types import JsonDecimal


class Difference(BaseModel):
    what: str = Field(description="cash, available, reserved, or position:<SYMBOL>")
    ours: JsonDecimal = Field(description="What the account's book says")
    theirs: JsonDecimal = Field(description="What the broker says (for paper: the ledger of fills)")


class Reconciliation(BaseModel):
    """The account's book against the broker's (paper: against the ledger of its own fills)."""

    account_id: str
    session: date
    checked_at: datetime
    broker: str = "paper"
    differences: list[Difference] = Field(default_factory=list)
    halted: bool = Field(default=False, description="Whether the differences set the kill switch to HALTED")

    @property
    def ok(self) -> bool:
        return not self.differences
