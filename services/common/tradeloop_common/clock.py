"""Time as a dependency, so the same code runs live and in replay (where "now" is a past date)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from tradeloop_common.errors import UnprocessableError


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
    """Fixed-width UTC ISO timestamps, so they sort as strings in DynamoDB sort keys.

    ``isoformat`` pads the year to four digits; ``strftime("%Y")`` does not for years < 1000."""
    utc = at.astimezone(UTC) if at.tzinfo else at
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


# The one rule for every date a caller gives us (a decision time, a history bound, a replay day):
# rows keyed by time are written once, so a time far outside what the data can mean would stay
# forever (and sort before or after everything real). One day ahead allows any time zone's "today".
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)
WINDOW = f"from {EARLIEST:%Y-%m-%d} to one day after now (UTC)"


def window_error(at: datetime, now: datetime | None = None) -> str | None:
    """Why ``at`` is outside the accepted window, or None. Naive means UTC."""
    latest = (now or SystemClock().now()) + MAX_AHEAD
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    # Aware comparisons never overflow, unlike converting 9999-12-31T23:59-12:00 to UTC.
    if EARLIEST <= aware <= latest:
        return None
    return f"must be between {EARLIEST:%Y-%m-%d} and {latest:%Y-%m-%d} (UTC), one day ahead at most"


def in_window(at: datetime, field: str = "as_of") -> datetime:
    """``at`` if inside the window, else UnprocessableError naming ``field`` and the window."""
    error = window_error(at)
    if error is not None:
        raise UnprocessableError(f"{field} {error}", [{"field": field, "fix": f"'{field}' {error}"}])
    return at
