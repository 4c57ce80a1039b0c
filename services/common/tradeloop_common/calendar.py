"""The exchange calendar: one home for "is this a session", "the last completed session" and
"the next session's open", used by ingest, the signal and order services, replay and the backtest.

The sessions come from ``calendars/<EXCHANGE>.json`` (generated from exchange-calendars by
scripts/generate_calendar.py; a test keeps the two equal), so the Lambda layer needs neither
pandas nor exchange-calendars: weekdays minus the listed closures, with early closes and late
opens, in the exchange's time zone (DST handled by zoneinfo).

Times are timezone-aware datetimes; a session is named by its date in the exchange's zone.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

DEFAULT_EXCHANGE = "XNYS"


class CalendarRangeError(ValueError):
    """A date outside the years the calendar file covers."""


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class ExchangeCalendar:
    exchange: str
    tz: ZoneInfo
    first: date
    last: date
    regular_open: time
    regular_close: time
    closed: frozenset[date]
    early_closes: dict[date, time]
    late_opens: dict[date, time]
    _sessions: tuple[date, ...]

    @classmethod
    def from_json(cls, text: str) -> ExchangeCalendar:
        data = json.loads(text)
        first, last = date.fromisoformat(data["first"]), date.fromisoformat(data["last"])
        closed = frozenset(date.fromisoformat(d) for d in data["closed"])
        sessions = tuple(
            d
            for d in (first + timedelta(days=i) for i in range((last - first).days + 1))
            if d.weekday() < 5 and d not in closed
        )
        return cls(
            exchange=data["exchange"],
            tz=ZoneInfo(data["tz"]),
            first=first,
            last=last,
            regular_open=_hhmm(data["open"]),
            regular_close=_hhmm(data["close"]),
            closed=closed,
            early_closes={date.fromisoformat(d): _hhmm(t) for d, t in data["early_closes"].items()},
            late_opens={date.fromisoformat(d): _hhmm(t) for d, t in data.get("late_opens", {}).items()},
            _sessions=sessions,
        )

    # ---- sessions -----------------------------------------------------------------------------

    def _check(self, day: date) -> None:
        if not self.first <= day <= self.last:
            raise CalendarRangeError(
                f"{day} is outside the {self.exchange} calendar ({self.first}..{self.last}): "
                "regenerate it with scripts/generate_calendar.py"
            )

    def is_session(self, day: date) -> bool:
        self._check(day)
        return day.weekday() < 5 and day not in self.closed

    def sessions(self, start: date, end: date) -> list[date]:
        """Sessions in [start, end]."""
        lo = bisect.bisect_left(self._sessions, start)
        hi = bisect.bisect_right(self._sessions, end)
        return list(self._sessions[lo:hi])

    def session_count(self, after: date, upto: date) -> int:
        """Sessions in (after, upto]: how many sessions old a bar of ``after`` is at ``upto``."""
        if upto <= after:
            return 0
        return bisect.bisect_right(self._sessions, upto) - bisect.bisect_right(self._sessions, after)

    def previous_session(self, day: date) -> date:
        """The last session strictly before ``day``."""
        self._check(day)
        i = bisect.bisect_left(self._sessions, day)
        if i == 0:
            raise CalendarRangeError(f"no {self.exchange} session before {day} in the calendar")
        return self._sessions[i - 1]

    def next_session(self, day: date) -> date:
        """The first session strictly after ``day``."""
        self._check(day)
        i = bisect.bisect_right(self._sessions, day)
        if i == len(self._sessions):
            raise CalendarRangeError(f"no {self.exchange} session after {day} in the calendar")
        return self._sessions[i]

    # ---- times --------------------------------------------------------------------------------

    def session_open(self, day: date) -> datetime:
        """When the session opens (UTC)."""
        if not self.is_session(day):
            raise ValueError(f"{day} is not a {self.exchange} session")
        local = datetime.combine(day, self.late_opens.get(day, self.regular_open), tzinfo=self.tz)
        return local.astimezone(UTC)

    def session_close(self, day: date) -> datetime:
        """When the session closes (UTC), early closes included."""
        if not self.is_session(day):
            raise ValueError(f"{day} is not a {self.exchange} session")
        local = datetime.combine(day, self.early_closes.get(day, self.regular_close), tzinfo=self.tz)
        return local.astimezone(UTC)

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def last_completed_session(self, at: datetime) -> date:
        """The latest session whose close is at or before ``at``."""
        day = self.local_date(at)
        if self.is_session(day) and self.session_close(day) <= at:
            return day
        return self.previous_session(day)

    def next_open(self, at: datetime) -> datetime:
        """The first session open strictly after ``at``: when an order decided at ``at`` can trade."""
        day = self.local_date(at)
        if self.is_session(day) and self.session_open(day) > at:
            return self.session_open(day)
        return self.session_open(self.next_session(day))

    def is_open(self, at: datetime) -> bool:
        day = self.local_date(at)
        return self.is_session(day) and self.session_open(day) <= at < self.session_close(day)


@lru_cache
def get_calendar(exchange: str = DEFAULT_EXCHANGE) -> ExchangeCalendar:
    text = resources.files("tradeloop_common").joinpath("calendars", f"{exchange}.json").read_text()
    return ExchangeCalendar.from_json(text)
