"""Response models of the market-data service (the quality report, as stored in quality/)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Jump(BaseModel):
    date: str
    change: float = Field(description="open / previous close - 1")
    note: str


class SymbolQuality(BaseModel):
    model_config = ConfigDict(extra="allow")

    symbol: str
    first_date: str | None
    last_date: str | None
    rows: int
    calendar: str = Field(description="The exchange calendar the gaps are counted against")
    missing_sessions: int = Field(description="Sessions between the first and last bar without a bar")
    missing_examples: list[str]
    closed_day_bars: list[str] = Field(description="Bars dated on days the exchange was closed")
    duplicate_rows: int = Field(description="Exact duplicate rows dropped by this ingest")
    unsorted_rows: int = Field(description="Rows out of date order, sorted on request (--sort)")
    zero_volume_days: int
    zero_volume_examples: list[str]
    open_equals_previous_close: float = Field(description="Share of days whose open equals the previous close")
    jumps: list[Jump] = Field(description="Moves from the previous close to the open beyond -35 % / +50 %")
    warnings: list[str]


class QualityReport(BaseModel):
    """The latest ingest's report: a session of the daily pipeline, or a CLI ingest."""

    model_config = ConfigDict(extra="allow")

    kind: str = Field(description="session (the market-data service) or cli (python -m ml ingest)")
    session: str | None = Field(default=None, description="The session ingested (kind session)")
    provider: str = Field(description="alpaca, stooq, csv, sample, yfinance")
    symbols: list[SymbolQuality]
    missing: list[str] = Field(default_factory=list, description="Symbols without the session's bar (late)")
    complete: bool = True
    warnings: list[str] = Field(default_factory=list)
    universe: dict[str, Any] | None = None
