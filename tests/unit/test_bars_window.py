"""Bar windows read from the end of the stored CSV equal the same bars of the whole series, cost
requests that follow the lookback (not the history), and the synthetic universe is deterministic
and passes the ingest's rules."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import pytest

from tradeloop_common.dal.bars import Bars, BarsRepository, parse_bars
from tradeloop_common.ohlcv import parse_csv
from tradeloop_local.aws_requests import count_requests
from tradeloop_local.synthetic import UniverseSpec, generate, symbol_csv, symbol_name

BUCKET = "tradeloop-window-test"


@pytest.fixture
def s3_bucket(aws_in_process: None) -> str:
    """moto in-process (no emulator needed for a pure S3 read path)."""
    from tradeloop_common.dal.aws import client

    client("s3").create_bucket(Bucket=BUCKET)
    return BUCKET


def _put(symbol: str, text: str) -> None:
    from tradeloop_common.dal.aws import client

    client("s3").put_object(Bucket=BUCKET, Key=f"bars/daily/{symbol}.csv", Body=text.encode())


@lru_cache(maxsize=1)
def _thirty_years() -> tuple[str, str, Bars]:
    """One 30-year series, its text and its whole parse: generated once for the module's cases."""
    symbol, text = next(generate(UniverseSpec(symbols=1, years=30, seed=3)))
    return symbol, text, parse_bars(symbol, text)


@pytest.mark.parametrize(
    ("upto", "want", "reads"),  # reads: at most
    [
        (date(2020, 12, 31), 139, 1),  # the signal step at the last close: one ranged read
        (date(2020, 12, 31), 1, 1),  # a mark
        (date(2019, 6, 3), 139, 2),  # a replayed decision 1.5 years back: one longer read
        (date(1991, 3, 1), 139, 2),  # near the start: the whole object (430 KB), sized from the dates
        (date(1980, 1, 1), 5, 3),  # before the first bar: nothing on or before it
    ],
)
def test_window_equals_the_same_bars_of_the_whole_series(s3_bucket: str, upto: date, want: int, reads: int) -> None:
    # Given a 30-year synthetic series stored as the ingest stores it
    symbol, text, whole = _thirty_years()
    _put(symbol, text)

    # When a window is read from the object's end
    with count_requests() as counts:
        window = BarsRepository(s3_bucket).window(symbol, upto, want)

    # Then its last `want` bars on or before `upto`, and its end, are the whole series' own
    k, kw = whole.count_upto(upto), window.count_upto(upto)
    assert window.dates[max(kw - want, 0) : kw] == whole.dates[max(k - want, 0) : k]
    for column in ("open", "high", "low", "close", "volume"):
        assert getattr(window, column)[max(kw - want, 0) : kw] == getattr(whole, column)[max(k - want, 0) : k]
    assert window.dates[-1] == whole.dates[-1] and window.close[-1] == whole.close[-1]
    # one ranged read at the last close; a decision in the past a longer one, sized from the dates held
    assert set(counts) == {"s3:GetObject"} and counts["s3:GetObject"] <= reads


def test_a_warm_window_revalidates_with_one_request_and_skips_it_when_fresh(s3_bucket: str) -> None:
    # Given a window read once
    symbol, text = next(generate(UniverseSpec(symbols=1, years=10, seed=5)))
    _put(symbol, text)
    repo = BarsRepository(s3_bucket)
    first = repo.window(symbol, date(2020, 12, 31), 139)

    # When it is read again, then with fresh_since before the first read
    with count_requests() as again:
        second = repo.window(symbol, date(2020, 12, 31), 139)
    with count_requests() as fresh:
        third = repo.window(symbol, date(2020, 12, 31), 139, fresh_since=0.0)

    # Then the same bars: one revalidation (a 304), then none
    assert first == second == third
    assert again == {"s3:GetObject": 1} and not fresh


def test_a_window_sees_bars_appended_since_it_was_cached(s3_bucket: str) -> None:
    # Given a cached window, then a session appended to the series
    spec = UniverseSpec(symbols=1, years=2, seed=8)
    symbol, text = next(generate(spec))
    lines = text.splitlines(keepends=True)
    _put(symbol, "".join(lines[:-1]))
    repo = BarsRepository(s3_bucket)
    before = repo.window(symbol, date(2020, 12, 31), 50)

    _put(symbol, text)
    after = repo.window(symbol, date(2020, 12, 31), 50)

    # Then the new bar is there
    assert after.dates[-1] > before.dates[-1] == parse_bars(symbol, "".join(lines[:-1])).dates[-1]


def test_a_missing_symbol_maps_to_its_error_among_many(s3_bucket: str) -> None:
    for i in range(3):
        _put(symbol_name(i), symbol_csv(UniverseSpec(3, 1), i, UniverseSpec(3, 1).sessions(), _market(3)))
    found = BarsRepository(s3_bucket).windows([symbol_name(0), "NOPE", symbol_name(2)], date(2020, 12, 31), 10)
    assert set(found) == {symbol_name(0), "NOPE", symbol_name(2)}
    assert "unknown symbol 'NOPE'" in str(found["NOPE"])
    assert len(found[symbol_name(2)]) >= 10  # type: ignore[arg-type]


def _market(n_symbols: int) -> object:
    from tradeloop_local.synthetic import _market as market

    spec = UniverseSpec(n_symbols, 1)
    return market(spec, len(spec.sessions()))


def test_synthetic_universe_is_deterministic_per_symbol_and_passes_the_ingest_rules() -> None:
    # Given the same seed, a small and a larger universe
    small = dict(generate(UniverseSpec(symbols=3, years=5, seed=9)))
    large = dict(generate(UniverseSpec(symbols=8, years=5, seed=9)))
    other = dict(generate(UniverseSpec(symbols=3, years=5, seed=10)))

    # Then a symbol's series is its own whatever the universe's size, and the seed changes it
    assert all(large[s] == text for s, text in small.items())
    assert small["Z0000"] != other["Z0000"]
    # and every series passes the ingest's validation, with splits and halts in it somewhere
    jumps = halts = 0
    sessions = UniverseSpec(symbols=8, years=5, seed=9).sessions()
    for symbol, text in large.items():
        bars = parse_csv(text, f"{symbol}.csv", symbol, adjust=False).bars
        first = sessions.index(bars[0].day)
        halts += len(sessions) - first - len(bars)
        jumps += sum(1 for a, b in zip(bars, bars[1:], strict=False) if b.open < 0.6 * a.close)
    assert halts > 0 and jumps > 0
