"""The pipeline's schedule fires in the exchange's time zone (so daylight saving time moves it in UTC,
never in New York), acts on sessions only (a holiday is skipped, an early close long complete), and
staleness counts sessions of the calendar, the same rule in the signal service and the backtest."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources

import pytest

from tradeloop_common.dal.bars import Bars
from tradeloop_common.freshness import sessions_behind, stale_reason
from tradeloop_common.schedule import get_schedule


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "fires_utc"),
    [
        ("2024-03-08", "2024-03-08T21:30:00"),  # Friday, EST: 16:30 New York = 21:30 UTC
        ("2024-03-11", "2024-03-11T20:30:00"),  # Monday after the spring change: EDT, 20:30 UTC
        ("2024-11-01", "2024-11-01T20:30:00"),  # Friday, EDT
        ("2024-11-04", "2024-11-04T21:30:00"),  # Monday after the autumn change: EST
    ],
)
def test_dst_change_weeks_fire_at_the_same_new_york_time(day: str, fires_utc: str) -> None:
    schedule = get_schedule()
    # Given the schedule's facts (schedule.json + the XNYS calendar) / Then 16:30 New York every weekday
    assert schedule.expression == "cron(30 16 ? * MON-FRI *)" and schedule.timezone == "America/New_York"
    assert schedule.fire_time(date.fromisoformat(day)) == utc(fires_utc)
    # And the firing acts on that day's session, whose close (16:00) has passed
    assert schedule.session_at(utc(fires_utc)) == date.fromisoformat(day)


def test_the_next_firing_after_friday_is_monday_across_the_spring_change() -> None:
    schedule = get_schedule()
    assert schedule.next_fire(utc("2024-03-08T21:30:00")) == utc("2024-03-11T20:30:00")


def test_a_holiday_firing_acts_on_nothing_and_an_early_close_is_complete() -> None:
    schedule = get_schedule()
    # Independence Day: the cron fires (a weekday), the step finds no session
    assert schedule.session_at(schedule.fire_time(date(2024, 7, 4))) is None
    # The day before closes at 13:00 New York (17:00 UTC): at 16:30 it is long complete
    fired = schedule.fire_time(date(2024, 7, 3))
    assert fired == utc("2024-07-03T20:30:00") and schedule.session_at(fired) == date(2024, 7, 3)


def test_terraform_and_python_read_the_same_schedule_facts() -> None:
    facts = json.loads(resources.files("tradeloop_common").joinpath("schedule.json").read_text())
    calendar = json.loads(resources.files("tradeloop_common").joinpath("calendars", "XNYS.json").read_text())
    # (terraform/modules/stack/pipeline.tf computes the expression from these two files; its test asserts it)
    hours, minutes = map(int, calendar["close"].split(":"))
    total = hours * 60 + minutes + facts["minutes_after_close"]
    assert get_schedule().expression == f"cron({total % 60} {total // 60} ? * {facts['weekdays']} *)"
    assert get_schedule().timezone == calendar["tz"]


def test_staleness_counts_sessions_so_a_holiday_is_not_an_old_bar() -> None:
    # A bar of 2024-07-03 decided on at the close of 07-05: one session (07-05) behind, not two days
    assert sessions_behind(date(2024, 7, 3), utc("2024-07-05T21:00:00")) == 1
    # On the holiday itself the 3rd is the freshest there can be
    assert sessions_behind(date(2024, 7, 3), utc("2024-07-04T21:00:00")) == 0
    assert stale_reason("IBM", date(2024, 7, 3), utc("2024-07-04T21:00:00"), 0) is None
    # The early close: at 18:00 UTC on the 3rd the session is complete, so its bar is due
    assert sessions_behind(date(2024, 7, 2), utc("2024-07-03T18:00:00")) == 1
    # A weekend counts nothing
    assert sessions_behind(date(2024, 7, 5), date(2024, 7, 7)) == 0
    # And the reason names the bar, the sessions and the limit
    reason = stale_reason("IBM", date(2024, 7, 2), utc("2024-07-05T21:00:00"), 0)
    assert reason is not None and reason.startswith("stale data: the last IBM bar is 2024-07-02, 2 XNYS session(s)")


def test_the_signal_service_and_the_backtest_share_the_stale_rule() -> None:
    import numpy as np

    from ml.backtest import live_targets
    from signal_service.logic.run_signals import stale_reason as service_rule

    days = [date(2024, 7, 1), date(2024, 7, 2), date(2024, 7, 3)]
    one = tuple(Decimal(1) for _ in days)
    bars = Bars("IBM", tuple(days), one, one, one, one, one)

    class AlwaysUp:
        def predict_series(self, *cols: np.ndarray) -> np.ndarray:
            return np.full(len(cols[0]), 0.9)

    decisions = [date(2024, 7, 3), date(2024, 7, 5), date(2024, 7, 8), date(2024, 7, 9)]
    policy = {"enter": 0.55, "exit": 0.45, "weight_when_long": 0.25}
    targets = live_targets(AlwaysUp(), {"IBM": bars}, decisions, policy, max_bar_age_days=1)["IBM"]
    # The backtest decides exactly on the days the service finds the data fresh (1 session allowed)
    fresh = [service_rule(bars, utc(f"{d}T21:00:00"), 1) is None for d in decisions]
    assert fresh == [True, True, False, False]
    assert list(targets) == [0.25, 0.25, 0.25, 0.25]  # a stale day decides nothing: the target is kept


def test_the_local_scheduler_fires_at_new_york_time_across_the_dst_change() -> None:
    from tradeloop_local.scheduler import Scheduler

    now = {"at": utc("2024-03-08T21:00:00")}
    scheduler = Scheduler({}, 0, clock=lambda: now["at"])
    # Given Friday 2024-03-08 before 16:30 New York (21:30 UTC, EST) / Then nothing is due yet
    assert scheduler.next_fire == utc("2024-03-08T21:30:00") and scheduler.due() is None
    # When 16:30 New York passes / Then that firing is due, and the next is Monday 16:30 EDT = 20:30 UTC
    now["at"] = utc("2024-03-08T21:31:00")
    assert scheduler.due() == utc("2024-03-08T21:30:00")
    assert scheduler.next_fire == utc("2024-03-11T20:30:00") and scheduler.due() is None


def test_replay_walks_the_calendars_sessions_up_to_the_data() -> None:
    from tradeloop_local.replay import trading_days

    class Repo:
        def symbols(self) -> list[str]:
            return ["IBM"]

        def get(self, symbol: str) -> Bars:
            days = (date(2024, 7, 1), date(2024, 7, 2), date(2024, 7, 8))  # a feed that skipped 07-03 and 07-05
            one = tuple(Decimal(1) for _ in days)
            return Bars("IBM", days, one, one, one, one, one)

        def windows(self, symbols: list[str], upto: date, bars: int) -> dict[str, Bars]:
            return {s: self.get(s) for s in symbols}  # the whole series ends where its window does

    # The holiday is no trading day; sessions missing from the data still are; nothing after the data
    assert trading_days(Repo(), date(2024, 7, 1), date(2024, 7, 31)) == [  # type: ignore[arg-type]
        date(2024, 7, 1),
        date(2024, 7, 2),
        date(2024, 7, 3),
        date(2024, 7, 5),
        date(2024, 7, 8),
    ]
