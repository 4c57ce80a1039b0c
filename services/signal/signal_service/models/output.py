"""Response models of the signal service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tradeloop_common.models import OrderIntent, Signal


class SignalList(BaseModel):
    signals: list[Signal]
    next_token: str | None = None


class RunReport(BaseModel):
    as_of: datetime
    model_version: str | None
    signals: list[Signal]
    intents: list[OrderIntent] = Field(description="Order intents sent to the queue (one per change of target)")
    holds: int = Field(description="Symbols the service refused to trade (see each signal's reason)")


class ServingStatus(BaseModel):
    loaded: bool = Field(description="This instance verified (sha256, parity) and loaded the model")
    error: str | None = None


class Promotion(BaseModel):
    action: str | None = Field(
        default=None,
        description="How LATEST came to name this version: promote, force-promote (gate overridden), rollback",
    )
    promoted_at: str | None = None


class CurrentModel(BaseModel):
    name: str
    version: str
    manifest: dict[str, Any]
    promotion: Promotion
    model_h5_url: str = Field(description="Presigned GET URL of the model of record (model.h5)")
    report_url: str = Field(description="Presigned GET URL of the walk-forward report (report.html)")
    url_expires_in: int
    serving: ServingStatus
