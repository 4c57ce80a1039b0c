"""Daily OHLCV bars: parse and validate CSV, load the offline sample, read/write the data bucket.

Stored layout (data bucket): ``bars/daily/<SYMBOL>.csv`` with header
``date,open,high,low,close,volume``, one row per trading day, ascending ISO dates,
split/dividend-adjusted prices (when the source has an adjusted close).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ml.config import SAMPLE_SYMBOLS, storage
from tradeloop_common.layout import bars_key

# The validation rules live in the shared package, so the CSV ingest and the market-data service
# (its providers) apply one copy; these names stay importable from here.
from tradeloop_common.ohlcv import BAR_COLUMNS, IngestError, ParsedBars, check_symbol, parse_csv

__all__ = ["Bars", "IngestError", "parse_bars_csv", "read_bars_file", "sample_bars"]
REQUIRED: tuple[str, ...] = BAR_COLUMNS


@dataclass(frozen=True)
class Bars:
    """A symbol's bars for training and backtests: float64 numpy arrays (vectorised features,
    labels, walk-forward slices), with what validation dropped for the quality report.

    The services hold ``tradeloop_common.dal.bars.Bars`` instead: exact Decimals, because orders
    fill and positions are valued at those prices. Both are read from one stored CSV by one set of
    rules (``tradeloop_common.ohlcv``); where the services need floats (the model's features) they
    convert with ``dal.bars.Bars.feature_columns``, the one conversion between the two."""

    symbol: str
    dates: np.ndarray  # datetime64[D], strictly ascending
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    # What validation dropped or sorted (lines), for the quality report; not part of the data.
    duplicate_rows: list[int] = field(default_factory=list, compare=False)
    unsorted_rows: list[int] = field(default_factory=list, compare=False)

    def __len__(self) -> int:
        return len(self.dates)

    def slice(self, start: int, stop: int | None = None) -> Bars:
        s = slice(start, stop)
        return Bars(self.symbol, self.dates[s], self.open[s], self.high[s], self.low[s], self.close[s], self.volume[s])

    def to_csv(self) -> str:
        buf = io.StringIO()
        buf.write(",".join(BAR_COLUMNS) + "\n")
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


def _from_parsed(parsed: ParsedBars) -> Bars:
    b = parsed.bars
    cols = {
        c: np.array([getattr(x, c) for x in b], dtype=np.float64) for c in ("open", "high", "low", "close", "volume")
    }
    dates = np.array([x.day for x in b], dtype="datetime64[D]")
    return Bars(parsed.symbol, dates, **cols, duplicate_rows=parsed.duplicate_rows, unsorted_rows=parsed.unsorted_rows)


def parse_bars_csv(text: str, file: str, symbol: str, adjust: bool = True, sort: bool = False) -> Bars:
    """Parse a Yahoo/Stooq/tradeloop daily CSV with the shared rules (tradeloop_common.ohlcv); raise
    :class:`IngestError` naming file, row and column. Unsorted rows are refused unless ``sort``."""
    return _from_parsed(parse_csv(text, file, symbol, adjust, sort))


def read_bars_file(path: Path, symbol: str | None = None, sort: bool = False) -> Bars:
    name = (symbol or path.stem).upper()
    check_symbol(name, str(path))  # before reading: a file named ^GSPC.csv is refused with the rule
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise IngestError(str(path), "no such file") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise IngestError(str(path), f"not a CSV text file ({exc.__class__.__name__})") from None
    return parse_bars_csv(text, str(path), name, sort=sort)


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


def stored_bars(symbol: str, s3: Any | None = None, bucket: str | None = None) -> Bars | None:
    """The symbol's stored series, or None when the bucket has none."""
    from botocore.exceptions import ClientError

    s3 = s3 or s3_client()
    bucket = bucket or storage().data_bucket
    try:
        body = s3.get_object(Bucket=bucket, Key=bars_key(symbol))["Body"].read().decode()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return parse_bars_csv(body, f"s3://{bucket}/{bars_key(symbol)}", symbol.upper())


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
