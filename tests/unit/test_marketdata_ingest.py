"""The market-data step on in-memory stores: it appends the session idempotently (a rerun writes
nothing), records a restated bar as a correction without overwriting, reports a late symbol as
missing, refuses what the CSV rules refuse, skips holidays, and ingests the model's universe plus
the symbols held -- never every CSV in the bucket."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from marketdata_service.logic.dependencies import Dependencies
from marketdata_service.logic.ingest_session import IngestFailed, ingest_session
from marketdata_service.logic.providers import ProviderError
from tradeloop_common.dal.registry import LivePointer
from tradeloop_common.models import Position
from tradeloop_common.ohlcv import RawRow
from tradeloop_common.settings import Settings

HEADER = "date,open,high,low,close,volume\n"


@dataclass
class MemoryBars:
    objects: dict[str, str] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)

    def read(self, symbol: str) -> tuple[str | None, str | None]:
        text = self.objects.get(symbol)
        return (text, f"etag-{hash(text)}") if text is not None else (None, None)

    def write(self, symbol: str, text: str, etag: str | None) -> None:
        self.writes.append(symbol)
        self.objects[symbol] = text


@dataclass
class MemoryQuality:
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.objects.get(key)

    def put_if_changed(self, key: str, document: dict[str, Any]) -> bool:
        if self.objects.get(key) == json.loads(json.dumps(document)):
            return False
        self.objects[key] = json.loads(json.dumps(document))
        self.writes.append(key)
        return True


@dataclass
class MemoryModels:
    manifest: dict[str, Any] | None

    def live(self) -> LivePointer | None:
        return LivePointer("v1", "e") if self.manifest else None

    def read(self, version: str, filename: str) -> bytes:
        return json.dumps(self.manifest).encode()


@dataclass
class MemoryTrading:
    held: list[str] = field(default_factory=list)

    def get_positions(self, account_id: str) -> list[Position]:
        return [Position(symbol=s, quantity=10, cost_basis=1000) for s in self.held]


@dataclass
class Tape:
    """A provider: rows per symbol, optionally late after a date, optionally failing."""

    rows: dict[str, list[tuple[str, list[float]]]]
    late: dict[str, str] = field(default_factory=dict)
    fail: bool = False
    calls: list[tuple[tuple[str, ...], date, date]] = field(default_factory=list)
    name: str = "tape"

    def daily_bars(self, symbols: list[str], start: date, end: date) -> dict[str, list[RawRow]]:
        self.calls.append((tuple(symbols), start, end))
        if self.fail:
            raise ProviderError("tape: connection refused")
        out = {}
        for s in symbols:
            out[s] = [
                RawRow(i + 2, date.fromisoformat(d), v)
                for i, (d, v) in enumerate(self.rows.get(s, []))
                if start <= date.fromisoformat(d) <= end and (s not in self.late or d <= self.late[s])
            ]
        return out


def bar(o: float) -> list[float]:
    return [o, o + 1, o - 1, o + 0.5, 1000.0]


def stored(*days: str) -> str:
    return HEADER + "".join(f"{d},10,11,9,10.5,1000\n" for d in days)


def make_deps(
    tape: Tape, bars: dict[str, str], universe: list[str] | None = None, held: list[str] | None = None
) -> tuple[Dependencies, MemoryBars, MemoryQuality]:
    manifest = {"policy": {"weights": dict.fromkeys(universe or ["AAPL", "IBM"], 0.25)}} if universe != [] else None
    store, quality = MemoryBars(dict(bars)), MemoryQuality()
    deps = Dependencies(
        settings=Settings.model_validate({}),
        bars=store,  # type: ignore[arg-type]
        quality=quality,  # type: ignore[arg-type]
        models=MemoryModels(manifest),  # type: ignore[arg-type]
        trading=MemoryTrading(held or []),  # type: ignore[arg-type]
        provider=lambda: tape,  # type: ignore[arg-type,return-value]
    )
    return deps, store, quality


WEEK = {  # the sessions around Independence Day 2024: 07-03 closes early, 07-04 is a holiday
    s: [("2024-07-02", bar(10)), ("2024-07-03", bar(11)), ("2024-07-05", bar(12))] for s in ("AAPL", "IBM")
}


def test_the_early_close_session_is_appended_and_a_rerun_writes_nothing() -> None:
    deps, store, quality = make_deps(Tape(WEEK), {s: stored("2024-07-01", "2024-07-02") for s in ("AAPL", "IBM")})
    # When the session of the early close (13:00) is ingested
    report = ingest_session(date(2024, 7, 3), deps)
    # Then its bar is appended to each symbol, the report says complete, no gap is seen
    assert report["complete"] and report["appended"] == 2 and report["missing"] == []
    assert store.objects["IBM"].splitlines()[-1].startswith("2024-07-03,11.000000")
    assert all(s["missing_sessions"] == 0 for s in report["symbols"])
    assert set(quality.writes) == {"quality/sessions/2024-07-03.json", "quality/latest.json"}
    # When the same session is ingested again / Then nothing is written at all
    store.writes.clear(), quality.writes.clear()
    again = ingest_session(date(2024, 7, 3), deps)
    assert store.writes == [] and quality.writes == [] and again["rerun"] is True
    assert again["appended"] == 2  # the session's report, as the first run wrote it
    # And the next session catches up across the holiday (07-04 is not fetched as a gap)
    after = ingest_session(date(2024, 7, 5), deps)
    assert after["appended"] == 2 and "2024-07-04" not in store.objects["IBM"]


def test_a_holiday_is_no_session_to_ingest() -> None:
    deps, _, _ = make_deps(Tape(WEEK), {})
    with pytest.raises(ValueError, match="2024-07-04 is not a XNYS session"):
        ingest_session(date(2024, 7, 4), deps)


def test_a_restated_bar_is_recorded_as_a_correction_never_overwritten() -> None:
    tape = Tape({"IBM": [("2024-07-02", bar(99))], "AAPL": [("2024-07-02", bar(10))]})
    deps, store, quality = make_deps(tape, {"IBM": stored("2024-07-01", "2024-07-02"), "AAPL": stored("2024-07-02")})
    before = store.objects["IBM"]
    # When the provider now says something else for a stored session
    report = ingest_session(date(2024, 7, 2), deps)
    # Then the stored bar stays, the restatement is recorded once and reported
    assert store.objects["IBM"] == before and "IBM" not in store.writes
    (key,) = [k for k in quality.objects if k.startswith("quality/corrections/IBM/2024-07-02-")]
    assert quality.objects[key]["restated"].startswith("2024-07-02,99.000000")
    assert report["corrections"] == 1  # AAPL's stored bar equals the tape's: nothing to record
    ibm = next(s for s in report["symbols"] if s["symbol"] == "IBM")
    assert any("restated bar 2024-07-02" in w for w in ibm["warnings"])


def test_a_late_symbol_is_reported_missing_and_the_rest_is_appended() -> None:
    deps, store, _ = make_deps(
        Tape(WEEK, late={"IBM": "2024-07-02"}), {s: stored("2024-07-02") for s in ("AAPL", "IBM")}
    )
    report = ingest_session(date(2024, 7, 3), deps)
    assert report["missing"] == ["IBM"] and not report["complete"]
    assert "2024-07-03" in store.objects["AAPL"] and "2024-07-03" not in store.objects["IBM"]
    ibm = next(s for s in report["symbols"] if s["symbol"] == "IBM")
    assert ibm["sessions_behind"] == 1 and any("late: no bar for 2024-07-03" in w for w in ibm["warnings"])


def test_a_provider_failing_for_every_symbol_fails_the_step() -> None:
    deps, store, quality = make_deps(Tape(WEEK, fail=True), {"IBM": stored("2024-07-02")})
    with pytest.raises(IngestFailed, match="connection refused"):
        ingest_session(date(2024, 7, 3), deps)
    assert store.writes == [] and quality.writes == []


def test_provider_rows_go_through_the_csv_rules() -> None:
    # Given a provider answering a high below the low for IBM, and rows out of order for AAPL
    tape = Tape(
        {
            "IBM": [("2024-07-03", [11, 9, 10, 10.5, 1000])],
            "AAPL": [("2024-07-03", bar(11)), ("2024-07-02", bar(10))],
        }
    )
    deps, store, _ = make_deps(tape, {s: stored("2024-07-01") for s in ("AAPL", "IBM")})
    report = ingest_session(date(2024, 7, 3), deps)
    # Then nothing of theirs is stored and the report names the row-level reasons
    assert store.writes == [] and sorted(report["missing"]) == ["AAPL", "IBM"]
    assert any("IBM: refused" in w and "column 'high'" in w for w in report["warnings"])
    assert any("AAPL: refused" in w and "ascending date order" in w for w in report["warnings"])


def test_the_universe_is_the_models_plus_the_held_never_a_research_csv() -> None:
    tape = Tape({s: [("2024-07-03", bar(11))] for s in ("AAPL", "IBM", "MSFT", "RSRCH")})
    # Given bars for a research symbol in the bucket, a model on AAPL and IBM, and MSFT held
    bars = {s: stored("2024-07-02") for s in ("AAPL", "IBM", "MSFT", "RSRCH")}
    deps, store, _ = make_deps(tape, bars, universe=["AAPL", "IBM"], held=["MSFT"])
    report = ingest_session(date(2024, 7, 3), deps)
    # Then the model's universe and the held symbol are ingested, the research CSV is not
    assert report["universe"]["traded"] == ["AAPL", "IBM"] and report["universe"]["held"] == ["MSFT"]
    assert sorted(store.writes) == ["AAPL", "IBM", "MSFT"]
    assert tape.calls == [(("AAPL", "IBM", "MSFT"), date(2024, 7, 3), date(2024, 7, 3))]


def test_a_long_gap_is_caught_up_from_the_session_after_the_last_bar_within_the_limit() -> None:
    rows = [(d.isoformat(), bar(10)) for d in _sessions("2024-06-03", "2024-07-05")]
    deps, store, _ = make_deps(
        Tape({"IBM": rows, "AAPL": rows}), {"IBM": stored("2024-06-03"), "AAPL": stored("2024-06-28")}
    )
    ingest_session(date(2024, 7, 5), deps)
    # AAPL from 07-01; IBM from 06-04 (within 30 sessions of 07-05): one request per start
    assert store.objects["IBM"].count("\n") == 1 + len(_sessions("2024-06-03", "2024-07-05"))


def _sessions(a: str, b: str) -> list[date]:
    from tradeloop_common.calendar import get_calendar

    return get_calendar().sessions(date.fromisoformat(a), date.fromisoformat(b))
