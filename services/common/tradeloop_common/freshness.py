"""How old a bar is, in sessions of the exchange calendar: the one stale-data rule of the signal
service (``run_signals``) and the backtest's live-execution mode (``ml.backtest.live_targets``).

A decision at time t can use at most the bar of the last session completed by t (a date alone
means that day's close). A bar is ``sessions_behind`` that session by the number of sessions
after it up to that one: 0 is as fresh as it can be; holidays and weekends do not count, early
closes do (the session is complete at 13:00 New York time)."""

from __future__ import annotations

from datetime import date, datetime

from tradeloop_common.calendar import CalendarRangeError, ExchangeCalendar, get_calendar


def reference_session(as_of: datetime | date, calendar: ExchangeCalendar | None = None) -> date:
    """The last session complete at ``as_of`` (a date: that day, if a session, else the one before)."""
    cal = calendar or get_calendar()
    if isinstance(as_of, datetime):
        return cal.last_completed_session(as_of)
    return as_of if cal.is_session(as_of) else cal.previous_session(as_of)


def sessions_behind(last_bar: date, as_of: datetime | date, calendar: ExchangeCalendar | None = None) -> int:
    cal = calendar or get_calendar()
    return cal.session_count(last_bar, reference_session(as_of, cal))


def stale_reason(
    symbol: str,
    last_bar: date | None,
    as_of: datetime | date,
    max_age_sessions: int,
    calendar: ExchangeCalendar | None = None,
) -> str | None:
    """Why ``symbol``'s data is too old to decide on at ``as_of`` (None: fresh enough)."""
    cal = calendar or get_calendar()
    day = as_of.date() if isinstance(as_of, datetime) else as_of
    if last_bar is None:
        return f"no bars for {symbol} on or before {day}"
    try:
        reference = reference_session(as_of, cal)
        age = cal.session_count(last_bar, reference)
    except CalendarRangeError as exc:
        return f"stale data: cannot tell the age of the last {symbol} bar ({last_bar}): {exc}"
    if age > max_age_sessions:
        return (
            f"stale data: the last {symbol} bar is {last_bar}, {age} {cal.exchange} session(s) behind {reference}, "
            f"the last session complete at {as_of.isoformat()} (at most {max_age_sessions} allowed: "
            "TRADELOOP_MAX_BAR_AGE_DAYS, or 0 in the daily pipeline, which needs the session's own bar)"
        )
    return None
