"""When a run decides: an explicit ``as_of`` (a bare date means that day's close), else the
scheduled event's time, else now."""

from __future__ import annotations

from datetime import date, datetime

from tradeloop_common.clock import Clock, in_window, parse_as_of
from tradeloop_common.valuation import close_of


def decision_time(value: str | date | datetime | None, clock: Clock) -> datetime:
    """Raises UnprocessableError (naming ``as_of``) outside the accepted window (clock.py)."""
    return in_window(_parse(value, clock))


def _parse(value: str | date | datetime | None, clock: Clock) -> datetime:
    if isinstance(value, datetime):
        return parse_as_of(value)
    if isinstance(value, date):
        return close_of(value)
    if isinstance(value, str) and len(value) == 10:
        return close_of(date.fromisoformat(value))
    return parse_as_of(value, clock)
