"""The quality report every ingest prints and stores: gaps against the exchange calendar (a holiday
is no gap), bars on closed days, zero volume, synthetic opens, jumps that look like unadjusted splits."""

from __future__ import annotations

from datetime import date

from tradeloop_common.calendar import get_calendar
from tradeloop_common.quality import assess


def _series(days: list[date], opens: list[float] | None = None, volume: float = 1000) -> dict[str, list]:
    closes = [100.0 + i for i in range(len(days))]
    return {
        "dates": days,
        "opens": opens if opens is not None else [c - 0.5 for c in closes],
        "closes": closes,
        "volumes": [volume] * len(days),
    }


def test_the_independence_day_holiday_is_no_gap_but_a_missing_session_is() -> None:
    cal = get_calendar()
    week = cal.sessions(date(2024, 7, 1), date(2024, 7, 12))  # 07-04 is not in it
    # Given a series of every session but 2024-07-09
    kept = [d for d in week if d != date(2024, 7, 9)]
    report = assess("IBM", **_series(kept))
    # Then the holiday is no gap, the missing session is, and it is named
    assert report["missing_sessions"] == 1 and report["missing_examples"] == ["2024-07-09"]
    assert any("without a bar" in w for w in report["warnings"])
    # And a complete week has no gap at all
    assert assess("IBM", **_series(week))["missing_sessions"] == 0


def test_a_bar_on_a_closed_day_and_zero_volume_are_reported() -> None:
    days = [date(2024, 7, 3), date(2024, 7, 4), date(2024, 7, 5)]
    report = assess("IBM", **{**_series(days), "volumes": [1000, 0, 1000]})
    assert report["closed_day_bars"] == ["2024-07-04"]
    assert report["zero_volume_days"] == 1 and report["zero_volume_examples"] == ["2024-07-04"]


def test_opens_equal_to_the_previous_close_look_synthetic() -> None:
    # Given an index-like series: every open is yesterday's close (what ^GSPC exports look like)
    days = get_calendar().sessions(date(2024, 1, 2), date(2024, 1, 31))
    closes = [100.0 + i for i in range(len(days))]
    report = assess("SPX", days, [closes[0], *closes[:-1]], closes, [0] * len(days))
    # Then the share is 100 % and the report says the opens are not real
    assert report["open_equals_previous_close"] == 1.0
    assert any("synthetic" in w for w in report["warnings"])


def test_an_unadjusted_split_is_flagged_as_a_jump() -> None:
    days = get_calendar().sessions(date(2005, 2, 24), date(2005, 3, 2))
    assert days[2] == date(2005, 2, 28)
    closes = [88.0, 89.0, 45.2, 45.5, 46.0]  # AAPL's 2:1 of 2005-02-28, unadjusted
    opens = [87.5, 88.5, 44.9, 45.3, 45.6]
    report = assess("AAPL", days, opens, closes, [1000] * len(days))
    (jump,) = report["jumps"]
    assert jump["date"] == "2005-02-28" and "2:1 split" in jump["note"]


def test_the_shipped_sample_has_no_gaps_against_the_calendar() -> None:
    from bokeh_sampledata import stocks

    data = stocks.IBM
    days = [date.fromisoformat(d) for d in data["date"]]
    report = assess("IBM", days, list(data["open"]), list(data["close"]), list(data["volume"]))
    assert report["missing_sessions"] == 0 and report["closed_day_bars"] == [] and report["rows"] == 3270
