"""Time as a dependency, so the same code runs live and in replay (where "now" is a past date)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=UTC)

    def now(self) -> datetime:
        return self._at


def parse_as_of(value: str | datetime | None, clock: Clock | None = None) -> datetime:
    """An ISO date or datetime (naive means UTC); ``None`` means the clock's now."""
    if value is None:
        return (clock or SystemClock()).now()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(at: datetime) -> str:
    """Fixed-width UTC ISO timestamps, so they sort as strings in DynamoDB sort keys."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
