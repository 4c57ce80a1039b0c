"""When the daily pipeline starts, from its one home (``schedule.json`` beside this module, read by
Terraform too): ``minutes_after_close`` after the exchange's regular close, Monday to Friday, in
the exchange's time zone -- so it follows daylight saving time, which a UTC cron cannot. The
first step acts on sessions only (holidays are skipped by the function, not the schedule), and an
early close (13:00) is long complete when it fires."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from tradeloop_common.calendar import ExchangeCalendar, get_calendar


@dataclass(frozen=True)
class Schedule:
    calendar: ExchangeCalendar
    minutes_after_close: int

    @property
    def timezone(self) -> str:
        return str(self.calendar.tz.key)

    @property
    def local_time(self) -> time:
        close = datetime.combine(date(2000, 1, 3), self.calendar.regular_close)
        return (close + timedelta(minutes=self.minutes_after_close)).time()

    @property
    def expression(self) -> str:
        """The EventBridge Scheduler expression (in ``timezone``); Terraform builds the same."""
        return f"cron({self.local_time.minute} {self.local_time.hour} ? * MON-FRI *)"

    def fire_time(self, day: date) -> datetime:
        """When the schedule fires on ``day`` (UTC), whatever the day is."""
        return datetime.combine(day, self.local_time, tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    def next_fire(self, after: datetime) -> datetime:
        """The first firing strictly after ``after`` (weekdays only, as the cron)."""
        day = after.astimezone(self.calendar.tz).date()
        while True:
            if day.weekday() < 5 and self.fire_time(day) > after:
                return self.fire_time(day)
            day += timedelta(days=1)

    def session_at(self, fired_at: datetime) -> date | None:
        """The session a firing acts on: the exchange-local date, if it is a session whose close has
        passed; None on a holiday (the function then does nothing)."""
        day = self.calendar.local_date(fired_at)
        if not self.calendar.is_session(day) or self.calendar.session_close(day) > fired_at:
            return None
        return day


@lru_cache
def get_schedule() -> Schedule:
    facts = json.loads(resources.files("tradeloop_common").joinpath("schedule.json").read_text())
    return Schedule(get_calendar(facts["exchange"]), int(facts["minutes_after_close"]))
