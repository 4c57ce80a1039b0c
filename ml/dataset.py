"""Daily OHLCV bars: parse and validate CSV, load the offline sample, read/write the data bucket.

Stored layout (data bucket): ``bars/daily/<SYMBOL>.csv`` with header
``date,open,high,low,close,volume``, one row per trading day, ascending ISO dates,
split/dividend-adjusted prices (when the source has an adjusted close).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ml.config import BARS_HEADER, SAMPLE_SYMBOLS, bars_key, storage

# Header spellings seen in Yahoo ("Adj Close") and Stooq ("Data"/"Otwarcie" is the Polish
# export; the English one is "Date,Open,High,Low,Close,Volume") exports, normalised.
_ALIASES: dict[str, str] = {
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
REQUIRED: tuple[str, ...] = BARS_HEADER
# Adjusted data and rounding in exports: tolerate tiny OHLC inconsistencies.
_OHLC_TOL = 1e-4


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
class Bars:
    symbol: str
    dates: np.ndarray  # datetime64[D], strictly ascending
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return len(self.dates)

    def slice(self, start: int, stop: int | None = None) -> Bars:
        s = slice(start, stop)
        return Bars(self.symbol, self.dates[s], self.open[s], self.high[s], self.low[s], self.close[s], self.volume[s])

    def to_csv(self) -> str:
        buf = io.StringIO()
        buf.write(",".join(BARS_HEADER) + "\n")
        for i in range(len(self)):
            buf.write(
                f"{self.dates[i]},{self.open[i]:.6f},{self.high[i]:.6f},{self.low[i]:.6f},"
                f"{self.close[i]:.6f},{int(round(float(self.volume[i])))}\n"
            )
        return buf.getvalue()

    def sha256(self) -> str:
        return hashlib.sha256(self.to_csv().encode()).hexdigest()

    @property
    def first_date(self) -> str:
        return str(self.dates[0]) if len(self) else ""

    @property
    def last_date(self) -> str:
        return str(self.dates[-1]) if len(self) else ""


def _norm(name: str) -> str:
    return name.strip().strip('"').lower().replace(" ", "_")


def _number(raw: str, file: str, row: int, column: str) -> float:
    text = raw.strip()
    try:
        value = float(text)
    except ValueError:
        raise IngestError(file, f"not a number: {raw!r}", row, column) from None
    if not math.isfinite(value):
        raise IngestError(file, f"missing or non-finite value: {raw!r}", row, column)
    return value


def _finish(symbol: str, file: str, rows: list[tuple[int, date, list[float]]], adjust: bool) -> Bars:
    """Sort, de-duplicate and check a parsed table; ``rows`` hold (line, date, [o,h,l,c,v,(adj)])."""
    if not rows:
        raise IngestError(file, "no data rows")
    rows.sort(key=lambda r: (r[1], r[0]))  # stable on line number: unsorted input is fine
    kept: list[tuple[int, date, list[float]]] = []
    for line, day, values in rows:
        if kept and kept[-1][1] == day:
            if kept[-1][2] == values:
                continue  # exact repeat (e.g. two overlapping exports concatenated)
            raise IngestError(
                file, f"duplicate date {day} with different values (also row {kept[-1][0]})", line, "date"
            )
        kept.append((line, day, values))
    arr = np.array([v for _, _, v in kept], dtype=np.float64)
    o, h, lo, c, v = (arr[:, i] for i in range(5))
    if adjust and arr.shape[1] > 5:
        # Scale OHLC by adj_close/close (splits and dividends), volume inversely, so returns
        # and the paper broker's fills see no artificial jumps.
        factor = arr[:, 5] / c
        o, h, lo, c, v = o * factor, h * factor, lo * factor, arr[:, 5], v / factor
    return Bars(symbol, np.array([d for _, d, _ in kept], dtype="datetime64[D]"), o, h, lo, c, v)


def parse_bars_csv(text: str, file: str, symbol: str, adjust: bool = True) -> Bars:
    """Parse a Yahoo/Stooq/tradeloop daily CSV; raise :class:`IngestError` naming file, row, column."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise IngestError(file, "empty file") from None
    columns = {_ALIASES.get(_norm(h), _norm(h)): i for i, h in enumerate(header)}
    for name in REQUIRED:
        if name not in columns:
            raise IngestError(file, f"missing column (header is {header})", 1, name)
    fields = [*REQUIRED[1:], *(["adj_close"] if "adj_close" in columns else [])]
    rows: list[tuple[int, date, list[float]]] = []
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
        values = [_number(record[columns[f]], file, line, f) for f in fields]
        o, h, lo, c, v = values[:5]
        for name, value in zip(("open", "high", "low", "close"), (o, h, lo, c), strict=True):
            if value <= 0:
                raise IngestError(file, f"price must be > 0, got {value}", line, name)
        if v < 0:
            raise IngestError(file, f"volume must be >= 0, got {v}", line, "volume")
        if len(values) > 5 and values[5] <= 0:
            raise IngestError(file, f"price must be > 0, got {values[5]}", line, "adj_close")
        if h < max(o, c, lo) * (1 - _OHLC_TOL):
            raise IngestError(file, f"high {h} is below open/close/low", line, "high")
        if lo > min(o, c) * (1 + _OHLC_TOL):
            raise IngestError(file, f"low {lo} is above open/close", line, "low")
        rows.append((line, day, values))
    return _finish(symbol, file, rows, adjust)


def read_bars_file(path: Path, symbol: str | None = None) -> Bars:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise IngestError(str(path), "no such file") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise IngestError(str(path), f"not a CSV text file ({exc.__class__.__name__})") from None
    return parse_bars_csv(text, str(path), (symbol or path.stem).upper())


def csv_files(path: Path, symbols: Sequence[str] | None = None) -> list[Path]:
    """The CSV file ``path``, or the ``<SYMBOL>.csv`` files of the folder ``path`` (those of
    ``symbols`` only, each required, when given)."""
    if not path.exists():
        raise IngestError(str(path), "no such file or folder")
    if not path.is_dir():
        return [path]
    found = {f.stem.upper(): f for f in sorted(path.glob("*.csv"))}
    if not symbols:
        if not found:
            raise IngestError(str(path), "no .csv files in this folder (expected <SYMBOL>.csv)")
        return list(found.values())
    missing = [s.upper() for s in symbols if s.upper() not in found]
    if missing:
        raise IngestError(
            str(path), f"no {', '.join(m + '.csv' for m in missing)} in this folder (found: {sorted(found) or 'none'})"
        )
    return [found[s.upper()] for s in symbols]


def ingest_hint(symbol: str) -> str:
    return (
        f"ingest its bars first: `python -m ml ingest --source csv --path {symbol}.csv` "
        f"(or `train-and-publish --ingest-source csv --path <file or folder>`; `--source yfinance` with internet)"
    )


def sample_bars(symbol: str) -> Bars:
    """Daily bars 2000-2013 from the public-domain ``bokeh_sampledata`` package (offline)."""
    from bokeh_sampledata import stocks

    symbol = symbol.upper()
    if symbol not in SAMPLE_SYMBOLS:
        raise IngestError(
            f"bokeh_sampledata.stocks.{symbol}",
            f"{symbol} is not in the offline sample ({', '.join(SAMPLE_SYMBOLS)}); {ingest_hint(symbol)}",
        )
    data: dict[str, Any] = getattr(stocks, symbol)
    # Re-use the CSV validator, so the sample goes through exactly the user-data checks.
    buf = io.StringIO()
    buf.write("date,open,high,low,close,volume,adj_close\n")
    for row in zip(*(data[k] for k in ("date", "open", "high", "low", "close", "volume", "adj_close")), strict=True):
        buf.write(",".join(str(x) for x in row) + "\n")
    return parse_bars_csv(buf.getvalue(), f"bokeh_sampledata.stocks.{symbol}", symbol)


def yfinance_bars(symbol: str, start: str = "2005-01-01") -> Bars:  # pragma: no cover - needs internet
    import yfinance as yf  # optional: only where the internet exists

    frame = yf.download(symbol, start=start, auto_adjust=False, progress=False)
    if frame is None or frame.empty:
        raise IngestError(f"yfinance:{symbol}", "empty download (unknown symbol or no network)")
    frame.columns = [c[0] if isinstance(c, tuple) else c for c in frame.columns]
    return parse_bars_csv(frame.reset_index().to_csv(index=False), f"yfinance:{symbol}", symbol)


# ---------------------------------------------------------------------------------------- S3


def s3_client() -> Any:
    import boto3  # AWS_ENDPOINT_URL (moto/LocalStack) is honoured by boto3 itself

    return boto3.client("s3")


def put_bars(bars: Bars, s3: Any | None = None, bucket: str | None = None) -> str:
    s3 = s3 or s3_client()
    bucket = bucket or storage().data_bucket
    key = bars_key(bars.symbol)
    s3.put_object(Bucket=bucket, Key=key, Body=bars.to_csv().encode(), ContentType="text/csv")
    return f"s3://{bucket}/{key}"


def get_bars(symbol: str, s3: Any | None = None, bucket: str | None = None) -> Bars:
    s3 = s3 or s3_client()
    bucket = bucket or storage().data_bucket
    key = bars_key(symbol)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    except s3.exceptions.NoSuchKey:
        raise IngestError(
            f"s3://{bucket}/{key}", f"no bars for {symbol.upper()}; {ingest_hint(symbol.upper())}"
        ) from None
    return parse_bars_csv(body, f"s3://{bucket}/{key}", symbol.upper())


def missing_symbols(symbols: Iterable[str], s3: Any | None = None, bucket: str | None = None) -> list[str]:
    from botocore.exceptions import ClientError

    s3 = s3 or s3_client()
    bucket = bucket or storage().data_bucket
    missing = []
    for symbol in symbols:
        try:
            s3.head_object(Bucket=bucket, Key=bars_key(symbol))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            missing.append(symbol.upper())
    return missing


def load_bars(symbols: Sequence[str], source: str = "s3") -> dict[str, Bars]:
    """Bars for training: ``source`` is ``s3`` (data bucket), ``sample`` or a local folder of CSVs."""
    if source == "s3":
        s3 = s3_client()
        return {s.upper(): get_bars(s, s3) for s in symbols}
    if source == "sample":
        return {s.upper(): sample_bars(s) for s in symbols}
    folder = Path(source)
    return {s.upper(): read_bars_file(folder / f"{s.upper()}.csv", s) for s in symbols}
