"""The live model's health at one decision time: feature drift (tradeloop_common.drift) and model
decay (tradeloop_common.decay). Pure data; the signal service computes it on each run and keeps it
(one record per decision time, written once, like the signals)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class DriftLevel(StrEnum):
    OK = "OK"  # every feature within its training envelope (+ the warn margin)
    WARN = "WARN"  # alert; trading goes on
    HALT = "HALT"  # new entries are held for this model; exits trade
    UNKNOWN = "UNKNOWN"  # no reference in the manifest, or too few live rows for a verdict


class FeatureDrift(BaseModel):
    name: str
    psi: float = Field(description="PSI of the live window against the training deciles")
    envelope: float = Field(description="PSI that training windows of the same length reach 1 % of the time")
    excess: float = Field(description="psi - envelope: what the levels judge")
    level: DriftLevel


class DriftStatus(BaseModel):
    level: DriftLevel
    statistic: str = "psi_excess"
    window_sessions: int | None = None
    rows: int = 0
    rows_needed: int | None = None
    first_day: str | None = Field(default=None, description="First bar date of the live window")
    last_day: str | None = Field(default=None, description="Last bar date of the live window")
    worst: str | None = Field(default=None, description="The feature with the largest excess")
    max_excess: float | None = None
    features: list[FeatureDrift] = Field(default_factory=list)
    reason: str | None = None

    @property
    def halts_entries(self) -> bool:
        return self.level is DriftLevel.HALT


class DecayVerdict(StrEnum):
    OK = "OK"  # every check inside the walk-forward's interval
    DECAYED = "DECAYED"  # a check outside it: alert
    COLLECTING = "COLLECTING"  # fewer live sessions with known outcomes than the window
    UNKNOWN = "UNKNOWN"  # no promise in the manifest


class DecayCheck(BaseModel):
    name: str
    definition: str
    live: float | None = Field(default=None, description="Over the live window; null when nothing to measure")
    promised: float = Field(description="What the walk-forward measured out of sample")
    low: float = Field(description="Lower end of the interval a window of this length falls in (level of the promise)")
    high: float
    n: int = Field(description="Live signals the figure is measured on")
    inside: bool | None = None


class DecayStatus(BaseModel):
    status: DecayVerdict
    window_sessions: int | None = None
    sessions: int = Field(default=0, description="Live sessions with known outcomes in the window")
    signals: int = 0
    level: float | None = Field(default=None, description="Coverage of the promised intervals (e.g. 0.95)")
    checks: list[DecayCheck] = Field(default_factory=list)
    reason: str | None = None


class ModelHealth(BaseModel):
    as_of: datetime
    model_version: str
    drift: DriftStatus
    decay: DecayStatus
    computed_at: datetime | None = None
