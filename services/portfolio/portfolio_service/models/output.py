from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tradeloop_common.models import Snapshot
from tradeloop_common.models.types import JsonDecimal


class Health(BaseModel):
    status: str
    service: str
    code_version: str
    model_version: str | None
    account_id: str
    checks: dict[str, str]


class BenchmarkPoint(BaseModel):
    as_of: datetime
    equity: JsonDecimal


class Benchmark(BaseModel):
    name: str = "buy_and_hold"
    symbols: list[str] = Field(description="Held in equal weights from the first snapshot's close, never rebalanced")
    points: list[BenchmarkPoint] = Field(description="One per snapshot, starting at the first snapshot's equity")


class History(BaseModel):
    account_id: str
    snapshots: list[Snapshot]
    benchmark: Benchmark | None = Field(
        default=None, description="Buy-and-hold of the traded universe over the same dates (no costs)"
    )
