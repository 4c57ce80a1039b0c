"""Data quality of a daily series: what every ingest (CLI, CSV, provider) prints, stores beside the
data (``quality/`` in the data bucket) and the dashboard shows.

Per symbol: the range and rows, sessions of the exchange calendar with no bar (gaps) and bars on
days the exchange was closed, rows dropped as exact duplicates or sorted on request, zero-volume
days, the share of days whose open equals the previous close (synthetic opens: an index, or a
source that fills the open with yesterday's close), and suspicious jumps between the previous
close and the open (an unadjusted split looks like one). Pure Python: the Lambda layer carries it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from tradeloop_common.calendar import CalendarRangeError, ExchangeCalendar, get_calendar

# |open / previous close - 1| beyond these is a jump worth a look (daily moves of large caps
# rarely reach -35 % or +50 %; unadjusted splits always do).
JUMP_DOWN, JUMP_UP = 0.65, 1.5
SPLIT_RATIOS = {"2:1": 1 / 2, "3:1": 1 / 3, "3:2": 2 / 3, "4:1": 1 / 4, "5:1": 1 / 5, "10:1": 1 / 10}
SPLIT_TOLERANCE = 0.04
# Above this share of days with open == previous close, the opens are likely not real.
STALE_OPEN_SHARE = 0.5
EXAMPLES = 5


def _split_note(ratio: float) -> str:
    for name, r in SPLIT_RATIOS.items():
        if abs(ratio / r - 1) <= SPLIT_TOLERANCE:
            return f"looks like an unadjusted {name} split"
        if abs(ratio * r - 1) <= SPLIT_TOLERANCE:
            return f"looks like an unadjusted 1:{name.split(':')[0]} reverse split"
    return "large move between the previous close and the open"


def assess(
    symbol: str,
    dates: Sequence[date],
    opens: Sequence[float],
    closes: Sequence[float],
    volumes: Sequence[float],
    *,
    duplicate_rows: int = 0,
    unsorted_rows: int = 0,
    calendar: ExchangeCalendar | None = None,
) -> dict[str, Any]:
    """The quality report of one series (ascending dates)."""
    cal = calendar or get_calendar()
    n = len(dates)
    report: dict[str, Any] = {
        "symbol": symbol,
        "first_date": dates[0].isoformat() if n else None,
        "last_date": dates[-1].isoformat() if n else None,
        "rows": n,
        "calendar": cal.exchange,
        "missing_sessions": 0,
        "missing_examples": [],
        "closed_day_bars": [],
        "duplicate_rows": duplicate_rows,
        "unsorted_rows": unsorted_rows,
        "zero_volume_days": 0,
        "zero_volume_examples": [],
        "open_equals_previous_close": 0.0,
        "jumps": [],
        "warnings": [],
    }
    if not n:
        report["warnings"].append("no rows")
        return report
    have = set(dates)
    lo, hi = max(dates[0], cal.first), min(dates[-1], cal.last)
    sessions = cal.sessions(lo, hi) if lo <= hi else []
    missing = [d for d in sessions if d not in have]
    closed = [d for d in dates if cal.first <= d <= cal.last and not cal.is_session(d)]
    report["missing_sessions"] = len(missing)
    report["missing_examples"] = [d.isoformat() for d in missing[:EXAMPLES]]
    report["closed_day_bars"] = [d.isoformat() for d in closed[:EXAMPLES]]
    zero = [d for d, v in zip(dates, volumes, strict=True) if float(v) == 0]
    report["zero_volume_days"] = len(zero)
    report["zero_volume_examples"] = [d.isoformat() for d in zero[:EXAMPLES]]
    same = sum(1 for i in range(1, n) if abs(float(opens[i]) - float(closes[i - 1])) <= 1e-9 * float(closes[i - 1]))
    report["open_equals_previous_close"] = round(same / (n - 1), 4) if n > 1 else 0.0
    for i in range(1, n):
        ratio = float(opens[i]) / float(closes[i - 1])
        if ratio < JUMP_DOWN or ratio > JUMP_UP:
            report["jumps"].append(
                {"date": dates[i].isoformat(), "change": round(ratio - 1, 4), "note": _split_note(ratio)}
            )
    warnings = report["warnings"]
    if dates[0] < cal.first or dates[-1] > cal.last:
        warnings.append(f"only {cal.first}..{cal.last} is checked against the {cal.exchange} calendar")
    if missing:
        warnings.append(
            f"{len(missing)} {cal.exchange} session(s) without a bar, e.g. {', '.join(report['missing_examples'])}"
        )
    if closed:
        warnings.append(f"bars on days {cal.exchange} was closed: {', '.join(report['closed_day_bars'])}")
    if duplicate_rows:
        warnings.append(f"{duplicate_rows} exact duplicate row(s) dropped")
    if unsorted_rows:
        warnings.append(f"{unsorted_rows} row(s) were out of date order and sorted (--sort)")
    if zero:
        warnings.append(f"{len(zero)} zero-volume day(s), e.g. {', '.join(report['zero_volume_examples'])}")
    if report["open_equals_previous_close"] > STALE_OPEN_SHARE:
        warnings.append(
            f"open == previous close on {report['open_equals_previous_close']:.0%} of days: the opens look "
            "synthetic (an index?), and fills at the open would be fiction"
        )
    for jump in report["jumps"][:EXAMPLES]:
        warnings.append(f"jump of {jump['change']:+.0%} at the open of {jump['date']}: {jump['note']}")
    return report


def session_gap(last_bar: date | None, session: date, calendar: ExchangeCalendar | None = None) -> int | None:
    """Sessions between the last bar and ``session`` (0: the session's bar is there); None when
    there is no bar or the calendar cannot tell."""
    if last_bar is None:
        return None
    cal = calendar or get_calendar()
    try:
        return cal.session_count(last_bar, session)
    except CalendarRangeError:
        return None


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A report (one ingest: ``symbols`` -> per-symbol report) as printable lines."""
    lines = []
    for sym in report.get("symbols", []):
        lines.append(
            f"[quality] {sym['symbol']}: {sym['rows']} rows {sym['first_date']}..{sym['last_date']}, "
            f"{sym['missing_sessions']} gap(s), {sym['duplicate_rows']} duplicate(s), {sym['unsorted_rows']} unsorted, "
            f"{sym['zero_volume_days']} zero-volume, open==prev close {sym['open_equals_previous_close']:.1%}, "
            f"{len(sym['jumps'])} jump(s)"
        )
        lines += [f"[quality]   warning: {w}" for w in sym["warnings"]]
    lines += [f"[quality] warning: {w}" for w in report.get("warnings", [])]
    return lines
