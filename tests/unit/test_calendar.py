"""The exchange calendar the services use equals exchange-calendars' XNYS, and answers the
questions every step asks: is this a session, the last completed session, the next open."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tradeloop_common.calendar import CalendarRangeError, get_calendar


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def xnys():  # type: ignore[no-untyped-def]
    return get_calendar("XNYS")


def test_sessions_opens_and_closes_equal_exchange_calendars(xnys) -> None:  # type: ignore[no-untyped-def]
    xcals = pytest.importorskip("exchange_calendars")
    # Given exchange-calendars' XNYS over the years the shipped file covers
    reference = xcals.get_calendar("XNYS", start=xnys.first.isoformat(), end=xnys.last.isoformat())
    schedule = reference.schedule
    # Then the sessions are the same, one by one
    ours = xnys.sessions(xnys.first, xnys.last)
    assert ours == [ts.date() for ts in reference.sessions]
    # And so is every session's open and close (early closes, DST changes included)
    for day, row in zip(ours, schedule.itertuples(), strict=True):
        assert xnys.session_open(day) == row.open.to_pydatetime(), day
        assert xnys.session_close(day) == row.close.to_pydatetime(), day


def test_a_holiday_and_an_early_close(xnys) -> None:  # type: ignore[no-untyped-def]
    # Independence Day 2024 is a Thursday; the day before closes at 13:00 New York time
    assert not xnys.is_session(date(2024, 7, 4))
    assert xnys.session_close(date(2024, 7, 3)) == utc("2024-07-03T17:00:00")
    assert xnys.session_close(date(2024, 7, 5)) == utc("2024-07-05T20:00:00")
    # A decision after the early close trades at the open after the holiday
    assert xnys.next_open(utc("2024-07-03T17:15:00")) == utc("2024-07-05T13:30:00")
    # On the holiday, the last completed session is the 3rd, until the 5th closes
    assert xnys.last_completed_session(utc("2024-07-04T22:00:00")) == date(2024, 7, 3)
    assert xnys.last_completed_session(utc("2024-07-05T19:59:00")) == date(2024, 7, 3)
    assert xnys.last_completed_session(utc("2024-07-05T20:00:00")) == date(2024, 7, 5)
    # A bar of the 3rd is one session old on the 5th, the holiday not counted
    assert xnys.session_count(date(2024, 7, 3), date(2024, 7, 5)) == 1
    # A one-off closure (the national day of mourning, 2025-01-09) is not a session
    assert not xnys.is_session(date(2025, 1, 9))


@pytest.mark.parametrize(
    ("day", "close_utc"),
    [
        ("2024-03-08", "2024-03-08T21:00:00"),  # EST: 16:00 = 21:00 UTC
        ("2024-03-11", "2024-03-11T20:00:00"),  # EDT from 2024-03-10: 16:00 = 20:00 UTC
        ("2024-11-01", "2024-11-01T20:00:00"),  # EDT
        ("2024-11-04", "2024-11-04T21:00:00"),  # EST from 2024-11-03
    ],
)
def test_closes_move_with_new_york_daylight_saving_time(xnys, day: str, close_utc: str) -> None:  # type: ignore[no-untyped-def]
    assert xnys.session_close(date.fromisoformat(day)) == utc(close_utc)


def test_outside_the_file_it_says_how_to_extend_it(xnys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CalendarRangeError, match="generate_calendar.py"):
        xnys.is_session(date(xnys.last.year + 1, 1, 5))
