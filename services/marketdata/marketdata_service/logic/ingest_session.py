"""Ingest one session: fetch the universe's daily bars up to the session from the provider,
validate them with the CSV ingest's rules (tradeloop_common.ohlcv), append what is new, and write
the quality report beside the data.

Idempotent: a bar already stored unchanged is left alone; a series is written only when a bar was
added (conditional on the ETag read, so two ingests never lose each other's bars), a report only
when its content changed. A *restated* bar (the provider now says something else for a stored
day) is recorded as a correction (``quality/corrections/``) and reported; the stored bar stays,
because decisions were made on it (``python -m ml ingest --replace`` replaces a series on purpose).

A symbol is fetched from the session after its last bar (at most ``catch_up_sessions`` back), so
a missed day heals itself. Late or failing symbols do not fail the step: they are reported
``missing`` (the signal step then HOLDs them with the reason); only a provider failing for every
symbol fails it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marketdata_service.logic.dependencies import Dependencies
from marketdata_service.logic.providers import ProviderError
from marketdata_service.logic.universe import ingest_universe
from tradeloop_common.calendar import CalendarRangeError
from tradeloop_common.clock import iso
from tradeloop_common.dal.bars import BarsConflict, parse_bars
from tradeloop_common.errors import ConfigurationError
from tradeloop_common.layout import QUALITY_LATEST_KEY, bars_key, correction_key, quality_session_key
from tradeloop_common.observability import logger
from tradeloop_common.ohlcv import BAR_COLUMNS, Bar, IngestError, RawRow, check_values, finish, symbol_error
from tradeloop_common.quality import assess
from tradeloop_common.valuation import close_of


class IngestFailed(RuntimeError):
    """Nothing could be fetched: the step failed (the next steps do not run for this session)."""


@dataclass
class Merge:
    """One symbol's stored series (line by line, so untouched rows keep their bytes) plus what came in."""

    lines: dict[date, str]
    appended: list[str] = field(default_factory=list)
    unchanged: int = 0
    corrections: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, symbol: str, text: str | None) -> Merge:
        if not text:
            return cls({})
        bars = parse_bars(symbol, text)
        body = text.strip().splitlines()[1:]
        return cls(dict(zip(bars.dates, body, strict=True)))

    def stored_bar(self, day: date) -> Bar:
        _, o, h, lo, c, v = self.lines[day].split(",")
        return Bar(day, float(o), float(h), float(lo), float(c), float(v))

    def add(self, bar: Bar) -> None:
        if bar.day not in self.lines:
            self.lines[bar.day] = bar.csv_row()
            self.appended.append(bar.day.isoformat())
            return
        stored = self.stored_bar(bar.day)
        if stored.same_as(bar):
            self.unchanged += 1
            return
        self.corrections.append({"date": bar.day.isoformat(), "stored": stored.csv_row(), "restated": bar.csv_row()})

    def text(self) -> str:
        return ",".join(BAR_COLUMNS) + "\n" + "".join(self.lines[d] + "\n" for d in sorted(self.lines))

    @property
    def last(self) -> date | None:
        return max(self.lines) if self.lines else None


def _start(deps: Dependencies, last: date | None, session: date) -> date:
    """The first session to fetch: the one after the last bar (the session itself when it is stored,
    to see a restatement), at most catch_up_sessions back."""
    cal = deps.calendar
    floor = session
    for _ in range(deps.settings.catch_up_sessions - 1):
        floor = cal.previous_session(floor)
    if last is None:
        return floor
    return max(floor, min(cal.next_session(last), session))


def _validate(symbol: str, provider: str, rows: list[RawRow], deps: Dependencies, merge: Merge) -> list[Bar]:
    """The shared rules; rows dated on days the exchange was closed are skipped and reported."""
    sessions = [r for r in rows if deps.calendar.is_session(r.day)]
    merge.skipped += [f"{r.day} is not a {deps.calendar.exchange} session" for r in rows if r not in sessions]
    if not sessions:
        return []
    file = f"{provider}:{symbol}"
    for row in sessions:  # the per-row rules (prices > 0, high/low consistent, ...), as for a CSV file
        check_values(file, row.line, row.values)
    return finish(symbol, file, sessions, adjust=False).bars


def _ingest_symbols(
    deps: Dependencies, session: date, symbols: list[str], report: dict[str, Any]
) -> dict[str, tuple[Merge, str | None]]:
    provider = deps.provider()
    report["provider"] = provider.name
    merges: dict[str, tuple[Merge, str | None]] = {}
    by_start: dict[date, list[str]] = defaultdict(list)
    for symbol in symbols:
        text, etag = deps.bars.read(symbol)
        merge = Merge.of(symbol, text)
        merges[symbol] = (merge, etag)
        by_start[_start(deps, merge.last, session)].append(symbol)
    failures = 0
    for start, group in sorted(by_start.items()):
        try:
            fetched = provider.daily_bars(group, start, session)
        except ProviderError as exc:
            failures += len(group)
            report["warnings"].append(f"{', '.join(group)}: {exc}")
            continue
        for symbol in group:
            merge = merges[symbol][0]
            try:
                for bar in _validate(symbol, provider.name, fetched.get(symbol, []), deps, merge):
                    merge.add(bar)
            except IngestError as exc:
                report["warnings"].append(f"{symbol}: refused: {exc}")
    if symbols and failures == len(symbols):
        raise IngestFailed(f"the {provider.name} provider failed for every symbol: {'; '.join(report['warnings'])}")
    return merges


def _write(deps: Dependencies, symbol: str, merge: Merge, etag: str | None) -> None:
    try:
        deps.bars.write(symbol, merge.text(), etag)
    except BarsConflict:
        # Another ingest wrote first: merge again onto what it wrote (its bars are the same session's).
        text, etag = deps.bars.read(symbol)
        fresh = Merge.of(symbol, text)
        for day in merge.appended:
            d = date.fromisoformat(day)
            if d not in fresh.lines:
                fresh.lines[d] = merge.lines[d]
        deps.bars.write(symbol, fresh.text(), etag)


def ingest_session(session: date, deps: Dependencies) -> dict[str, Any]:
    """Ingest ``session`` (a session of the calendar) and return its report (also stored)."""
    if not deps.calendar.is_session(session):
        raise ValueError(f"{session} is not a {deps.calendar.exchange} session")
    universe = ingest_universe(deps)
    report: dict[str, Any] = {
        "kind": "session",
        "session": session.isoformat(),
        "as_of": iso(close_of(session)),
        "provider": deps.settings.marketdata_provider,
        "universe": {
            "symbols": universe.symbols,
            "traded": universe.traded,
            "held": universe.held,
            "source": universe.source,
            "model_version": universe.model_version,
        },
        "symbols": [],
        "appended": 0,
        "corrections": 0,
        "missing": [],
        "warnings": [],
    }
    refused = {s: e for s in universe.symbols if (e := symbol_error(s))}
    report["warnings"] += list(refused.values())
    symbols = [s for s in universe.symbols if s not in refused]
    if not symbols:
        report["warnings"].append(
            "no universe: no live model and TRADELOOP_SIGNAL_SYMBOLS empty; publish a model (make train-and-publish)"
        )
    merges = _ingest_symbols(deps, session, symbols, report) if symbols else {}
    for symbol, (merge, etag) in merges.items():
        if merge.appended:
            _write(deps, symbol, merge, etag)
        for record in merge.corrections:
            full = {"symbol": symbol, "session": session.isoformat(), "provider": report["provider"], **record}
            deps.quality.put_if_changed(correction_key(symbol, record["date"], full), full)
        bars = parse_bars(symbol, merge.text()) if merge.lines else None
        quality = assess(
            symbol,
            list(bars.dates) if bars else [],
            [float(x) for x in bars.open] if bars else [],
            [float(x) for x in bars.close] if bars else [],
            [float(x) for x in bars.volume] if bars else [],
            calendar=deps.calendar,
        )
        try:
            behind = deps.calendar.session_count(merge.last, session) if merge.last else None
        except CalendarRangeError:
            behind = None
        quality.update(
            appended=merge.appended,
            unchanged=merge.unchanged,
            corrections=merge.corrections,
            sessions_behind=behind,
            key=bars_key(symbol),
        )
        quality["warnings"] += merge.skipped
        for c in merge.corrections:
            quality["warnings"].append(
                f"restated bar {c['date']}: stored {c['stored']} kept, provider now says {c['restated']} (recorded)"
            )
        if merge.last is None or merge.last < session:
            report["missing"].append(symbol)
            quality["warnings"].append(
                f"late: no bar for {session} yet (last {merge.last or 'none'}); the signal step will HOLD {symbol}"
            )
        report["symbols"].append(quality)
        report["appended"] += len(merge.appended)
        report["corrections"] += len(merge.corrections)
    report["missing"] += sorted(refused)
    report["complete"] = not report["missing"]
    # A rerun that found nothing new keeps the session's report as it was (which says what was
    # appended when it was): re-running a session writes nothing.
    previous: dict[str, Any] | None = deps.quality.get(quality_session_key(session.isoformat()))
    unchanged = (
        previous is not None
        and report["appended"] == 0
        and report["corrections"] == 0
        and previous.get("missing") == report["missing"]
    )
    if unchanged and previous is not None:  # (unchanged implies it; said again for the type checker)
        report = {**previous, "rerun": True}
    else:
        deps.quality.put_if_changed(quality_session_key(session.isoformat()), report)
        deps.quality.put_if_changed(QUALITY_LATEST_KEY, report)
    logger.info(
        "session ingested",
        extra={k: report[k] for k in ("session", "provider", "appended", "corrections", "missing", "complete")},
    )
    return report


__all__ = ["ConfigurationError", "IngestFailed", "ingest_session"]
