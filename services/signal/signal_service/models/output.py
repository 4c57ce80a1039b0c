"""Response models of the signal service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from tradeloop_common.models import RebalanceIntent, Signal
from tradeloop_common.models.health import ModelHealth


class SignalList(BaseModel):
    signals: list[Signal]
    next_token: str | None = None


class RunReport(BaseModel):
    as_of: datetime
    model_version: str | None
    signals: list[Signal]
    intents: list[RebalanceIntent] = Field(
        description="The rebalance intent sent to the queue (one per run; none while HALTED)"
    )
    holds: int = Field(description="Symbols the service refused to trade (see each signal's reason)")
    skipped: str | None = Field(default=None, description="Why no intent was sent, if none was")
    health: ModelHealth | None = Field(
        default=None, description="The live model's feature drift and decay at as_of (null without a model)"
    )


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


class HealthThresholds(BaseModel):
    statistic: str = Field(description="psi_excess: a feature's PSI beyond its training envelope")
    bins: int
    envelope_quantile: float = Field(description="The envelope is this quantile of the training windows' PSI")
    warn_excess: float
    halt_excess: float
    min_rows_share: float = Field(description="Share of a full window's rows needed for a verdict")


class HealthHistory(BaseModel):
    name: str = Field(description="Registry name of the model")
    live_version: str | None = Field(description="The version LATEST names now (null: none)")
    thresholds: HealthThresholds
    runs: list[ModelHealth] = Field(description="One per signal run's decision time, newest first")
