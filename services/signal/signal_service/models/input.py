"""Request models of the signal service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tradeloop_common.clock import WINDOW
from tradeloop_common.models.types import InWindow, Symbol
from tradeloop_common.valuation import close_of


class RunSignalsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: Annotated[
        InWindow | None,
        Field(
            default=None,
            description="Decision time: ISO datetime (UTC if naive), or a date meaning that day's close "
            f"(21:00 UTC), {WINDOW}. Default: now",
            examples=["2012-06-01"],
        ),
    ] = None
    symbols: Annotated[
        list[Symbol] | None,
        Field(default=None, min_length=1, max_length=50, description="Default: every symbol with market data"),
    ] = None

    @field_validator("as_of", mode="before")
    @classmethod
    def _date_means_close(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value) == 10:
            try:
                return close_of(date.fromisoformat(value))
            except ValueError:
                return value  # reported by the datetime validation, naming the field
        return value
