"""Daily OHLCV rows: the one set of validation rules for every way bars come in -- a CSV file
(``python -m ml ingest``), the offline sample, and the market-data service's providers (Alpaca,
Stooq, csv). Pure Python (no numpy), so the Lambda layer carries it.

Every error names the file (or the provider and symbol), the row and the column. What is
*refused*: a missing column, a value that is not a finite number, a price <= 0, a negative volume,
a high below the open/close/low or a low above the open/close, a date twice with different values,
rows out of date order (unless the caller asked to sort them: then the quality report counts
them), and a symbol the services would refuse (``SYMBOL_PATTERN``). What is *dropped and counted*:
an exact repeat of the previous row (two overlapping exports concatenated)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from tradeloop_common.models.types import SYMBOL_PATTERN

BAR_COLUMNS: tuple[str, ...] = ("date", "open", "high", "low", "close", "volume")
# Header spellings seen in Yahoo ("Adj Close") and Stooq exports, normalised.
ALIASES: dict[str, str] = {
    "date": "date",
    "timestamp": "date",
    "time": "date",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "volume": "volume",
    "vol": "volume",
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "adj._close": "adj_close",
}
# Adjusted data and rounding in exports: tolerate tiny OHLC inconsistencies.
OHLC_TOLERANCE = 1e-4
_SYMBOL = re.compile(SYMBOL_PATTERN)


class IngestError(ValueError):
    """Bad input data, with where it is: file, row (1-based line in the file) and column."""

    def __init__(self, file: str, message: str, row: int | None = None, column: str | None = None):
        self.file, self.row, self.column, self.message = file, row, column, message
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Bar:
    """One validated daily bar (prices adjusted when the source had an adjusted close)."""

    day: date
    open: float
    high: float
    low: float
    close: float
    volume: float

    def csv_row(self) -> str:
        """The stored form (``bars/daily/<SYMBOL>.csv``): 6 decimals, whole shares of volume."""
        return (
            f"{self.day.isoformat()},{self.open:.6f},{self.high:.6f},{self.low:.6f},{self.close:.6f},"
            f"{int(round(self.volume))}"
        )

    def same_as(self, other: Bar) -> bool:
        """Equal as stored (what a re-fetch of the same session must give to change nothing)."""
        return self.csv_row() == other.csv_row()


@dataclass(frozen=True)
class RawRow:
    """A row as read: where it came from (line), its date, and [open, high, low, close, volume(, adj)]."""

    line: int
    day: date
    values: list[float]


@dataclass
class ParsedBars:
    """Validated bars, ascending by date, with what the rules dropped or sorted."""

    symbol: str
    file: str
    bars: list[Bar]
    duplicate_rows: list[int] = field(default_factory=list)  # lines dropped as exact repeats
    unsorted_rows: list[int] = field(default_factory=list)  # lines out of order (sorted on request)


def symbol_error(symbol: str) -> str | None:
    """Why the services would refuse ``symbol`` (the API's symbol fields, TRADELOOP_SIGNAL_SYMBOLS)."""
    if _SYMBOL.match(symbol):
        return None
    return (
        f"symbol {symbol!r} is refused: symbols must match {SYMBOL_PATTERN} (upper-case letters, digits, '.' "
        "and '-', starting with a letter; the rule of the API and TRADELOOP_SIGNAL_SYMBOLS), so the services "
        "could never trade it; an index such as ^GSPC is not tradable: store it under another name (GSPC.csv) "
        "if it is a research series"
    )


def check_symbol(symbol: str, file: str) -> str:
    error = symbol_error(symbol)
    if error:
        raise IngestError(file, error)
    return symbol


def parse_number(raw: str, file: str, row: int, column: str) -> float:
    text = str(raw).strip()
    try:
        value = float(text)
    except ValueError:
        raise IngestError(file, f"not a number: {raw!r}", row, column) from None
    if not math.isfinite(value):
        raise IngestError(file, f"missing or non-finite value: {raw!r}", row, column)
    return value


def check_values(file: str, line: int, values: list[float]) -> None:
    """The per-row rules: [open, high, low, close, volume(, adj_close)]."""
    o, h, lo, c, v = values[:5]
    for name, value in zip(("open", "high", "low", "close"), (o, h, lo, c), strict=True):
        if value <= 0:
            raise IngestError(file, f"price must be > 0, got {value}", line, name)
    if v < 0:
        raise IngestError(file, f"volume must be >= 0, got {v}", line, "volume")
    if len(values) > 5 and values[5] <= 0:
        raise IngestError(file, f"price must be > 0, got {values[5]}", line, "adj_close")
    if h < max(o, c, lo) * (1 - OHLC_TOLERANCE):
        raise IngestError(file, f"high {h} is below open/close/low", line, "high")
    if lo > min(o, c) * (1 + OHLC_TOLERANCE):
        raise IngestError(file, f"low {lo} is above open/close", line, "low")


def finish(symbol: str, file: str, rows: Iterable[RawRow], adjust: bool = True, sort: bool = False) -> ParsedBars:
    """Order, de-duplicate and adjust rows that passed :func:`check_values`.

    Out-of-order rows are refused naming the first one, unless ``sort`` (then they are sorted and
    counted); an exact repeat of a date is dropped and counted; a date twice with different values
    is refused."""
    rows = list(rows)
    if not rows:
        raise IngestError(file, "no data rows")
    unsorted = [r.line for prev, r in zip(rows, rows[1:], strict=False) if r.day < prev.day]
    if unsorted and not sort:
        first = next(r for prev, r in zip(rows, rows[1:], strict=False) if r.day < prev.day)
        prev = rows[rows.index(first) - 1]
        raise IngestError(
            file,
            f"date {first.day} is before the previous row's {prev.day} (row {prev.line}): rows must be in "
            f"ascending date order ({len(unsorted)} row(s) out of order); sort the file, or ingest with --sort "
            "to have them sorted and counted in the quality report",
            first.line,
            "date",
        )
    if unsorted:
        rows.sort(key=lambda r: (r.day, r.line))  # stable on line number
    kept: list[RawRow] = []
    duplicates: list[int] = []
    for row in rows:
        if kept and kept[-1].day == row.day:
            if kept[-1].values == row.values:
                duplicates.append(row.line)  # exact repeat (e.g. two overlapping exports concatenated)
                continue
            raise IngestError(
                file, f"duplicate date {row.day} with different values (also row {kept[-1].line})", row.line, "date"
            )
        kept.append(row)
    bars = []
    for row in kept:
        o, h, lo, c, v = row.values[:5]
        if adjust and len(row.values) > 5:
            # Scale OHLC by adj_close/close (splits and dividends), volume inversely, so returns and
            # the paper broker's fills see no artificial jumps.
            factor = row.values[5] / c
            o, h, lo, c, v = o * factor, h * factor, lo * factor, row.values[5], v / factor
        bars.append(Bar(row.day, o, h, lo, c, v))
    return ParsedBars(symbol, file, bars, duplicates, unsorted)


def _norm(name: str) -> str:
    return name.strip().strip('"').lower().replace(" ", "_")


def read_rows(text: str, file: str) -> list[RawRow]:
    """The rows of a Yahoo/Stooq/tradeloop daily CSV, each checked (:func:`check_values`), in file order."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise IngestError(file, "empty file") from None
    columns = {ALIASES.get(_norm(h), _norm(h)): i for i, h in enumerate(header)}
    for name in BAR_COLUMNS:
        if name not in columns:
            raise IngestError(file, f"missing column (header is {header})", 1, name)
    fields = [*BAR_COLUMNS[1:], *(["adj_close"] if "adj_close" in columns else [])]
    rows: list[RawRow] = []
    for line, record in enumerate(reader, start=2):
        if not record or all(not x.strip() for x in record):
            continue
        if len(record) < len(header):
            raise IngestError(file, f"expected {len(header)} fields, got {len(record)}", line)
        raw_date = record[columns["date"]].strip()
        try:
            day = date.fromisoformat(raw_date[:10])
        except ValueError:
            raise IngestError(file, f"not an ISO date (YYYY-MM-DD): {raw_date!r}", line, "date") from None
        values = [parse_number(record[columns[f]], file, line, f) for f in fields]
        check_values(file, line, values)
        rows.append(RawRow(line, day, values))
    return rows


def parse_csv(text: str, file: str, symbol: str, adjust: bool = True, sort: bool = False) -> ParsedBars:
    """Parse a Yahoo/Stooq/tradeloop daily CSV; raise :class:`IngestError` naming file, row, column."""
    check_symbol(symbol, file)
    return finish(symbol, file, read_rows(text, file), adjust, sort)


def format_csv(bars: Iterable[Bar]) -> str:
    """The stored CSV of a series (header ``date,open,high,low,close,volume``)."""
    return ",".join(BAR_COLUMNS) + "\n" + "".join(b.csv_row() + "\n" for b in bars)
