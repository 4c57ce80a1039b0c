"""One date rule for every input, and timestamps that sort as strings whatever the year."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tradeloop_common.clock import iso, window_error


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(1, 1, 1, 21, tzinfo=UTC), "0001-01-01T21:00:00.000000Z"),
        (datetime(999, 12, 31, tzinfo=UTC), "0999-12-31T00:00:00.000000Z"),
        (datetime(2012, 6, 1, 17, tzinfo=timezone(timedelta(hours=-4))), "2012-06-01T21:00:00.000000Z"),
    ],
)
def test_iso_is_fixed_width_utc_for_every_year(at: datetime, expected: str) -> None:
    # When a time is formatted for a sort key; Then it has the fixed width and is in UTC
    assert iso(at) == expected and len(iso(at)) == 27


def test_iso_order_is_time_order_across_the_year_1000() -> None:
    assert iso(datetime(999, 1, 1, tzinfo=UTC)) < iso(datetime(2012, 1, 1, tzinfo=UTC))


NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "at",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
        NOW + timedelta(days=1, seconds=1),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-12))),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=12))),
    ],
)
def test_window_error_names_the_window_for_times_outside_it(at: datetime) -> None:
    # When a time outside 1970-01-01 .. now + 1 day is checked; Then the error states the window
    error = window_error(at, NOW)
    assert error is not None and "1970-01-01" in error and "2026-01-11" in error


@pytest.mark.parametrize("at", [datetime(1970, 1, 1, tzinfo=UTC), datetime(2012, 6, 1, 21), NOW + timedelta(days=1)])
def test_window_error_is_none_inside_the_window(at: datetime) -> None:
    assert window_error(at, NOW) is None
