"""Daily bars from the data bucket (``bars/daily/<SYMBOL>.csv``), cached per process by ETag."""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from tradeloop_common.dal.aws import client, object_exists
from tradeloop_common.errors import StoreError, UnknownSymbolError
from tradeloop_common.layout import BARS_PREFIX, bars_key, symbol_of_bars_key
from tradeloop_common.ohlcv import BAR_COLUMNS

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Bars:
    """A symbol's stored bars as the services use them: exact Decimals, the prices orders fill at
    and positions are valued at (money is never a float on the money path).

    ``ml.dataset.Bars`` is the other type: float64 numpy arrays for training and backtests, with
    what validation dropped. The two meet only in the model's features, which are floats on both
    sides: :meth:`feature_columns` is the one conversion from these to those."""

    symbol: str
    dates: tuple[date, ...]
    open: tuple[Decimal, ...]
    high: tuple[Decimal, ...]
    low: tuple[Decimal, ...]
    close: tuple[Decimal, ...]
    volume: tuple[Decimal, ...]

    def __len__(self) -> int:
        return len(self.dates)

    def count_upto(self, day: date) -> int:
        """Number of bars dated on or before ``day`` (bars are ascending)."""
        lo, hi = 0, len(self.dates)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.dates[mid] <= day:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def last_close(self, at: datetime | date) -> tuple[date, Decimal] | None:
        n = self.count_upto(at.date() if isinstance(at, datetime) else at)
        return (self.dates[n - 1], self.close[n - 1]) if n else None

    def open_on(self, day: date) -> Decimal | None:
        """The official open of the session ``day``, if the data holds that bar."""
        n = self.count_upto(day)
        return self.open[n - 1] if n and self.dates[n - 1] == day else None

    def next_open(self, at: datetime | date) -> tuple[date, Decimal] | None:
        n = self.count_upto(at.date() if isinstance(at, datetime) else at)
        return (self.dates[n], self.open[n]) if n < len(self.dates) else None

    def feature_columns(self, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, ...]:
        """open, high, low, close, volume of bars ``[start:stop]`` as float64 arrays, in the order
        ``tradeloop_common.features.compute_features`` takes them (as ``ml.dataset.Bars`` holds them)."""
        import numpy as np  # only the signal service computes features: the others load no numpy

        window = slice(start, stop)
        columns = (self.open, self.high, self.low, self.close, self.volume)
        return tuple(np.array([float(v) for v in c[window]], dtype=np.float64) for c in columns)


def parse_bars(symbol: str, text: str) -> Bars:
    reader = csv.DictReader(io.StringIO(text))
    cols: dict[str, list] = {c: [] for c in BAR_COLUMNS}
    for row in reader:
        try:
            cols["date"].append(date.fromisoformat(row["date"]))
            for c in BAR_COLUMNS[1:]:
                cols[c].append(Decimal(row[c]))
        except (KeyError, ValueError, InvalidOperation) as exc:
            raise StoreError(f"corrupt bars file {bars_key(symbol)} at line {reader.line_num}: {exc}") from exc
    return Bars(symbol, *(tuple(cols[c]) for c in BAR_COLUMNS))


def format_bars(rows: list[tuple[str, object, object, object, object, object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BAR_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


class BarsRepository:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket
        self._cache: dict[str, tuple[str, Bars]] = {}
        self._lock = threading.Lock()

    def get(self, symbol: str) -> Bars:
        """The symbol's bars; revalidated by ETag on every call (a 304 costs no transfer)."""
        cached = self._cache.get(symbol)
        kwargs = {"Bucket": self._bucket, "Key": bars_key(symbol)}
        if cached:
            kwargs["IfNoneMatch"] = cached[0]
        try:
            obj = client("s3").get_object(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if cached and code in ("304", "NotModified"):
                return cached[1]
            if code in ("NoSuchKey", "404", "NoSuchBucket"):
                raise UnknownSymbolError(
                    f"unknown symbol {symbol!r}: no daily bars in the data bucket",
                    [{"field": "symbol", "fix": "use a symbol with market data (e.g. AAPL) or ingest it"}],
                ) from exc
            raise StoreError(f"reading bars for {symbol} failed: {code}") from exc
        bars = parse_bars(symbol, obj["Body"].read().decode())
        with self._lock:
            self._cache[symbol] = (obj["ETag"], bars)
        return bars

    def put(self, symbol: str, text: str) -> None:
        client("s3").put_object(Bucket=self._bucket, Key=bars_key(symbol), Body=text.encode(), ContentType="text/csv")

    def symbols(self) -> list[str]:
        paginator = client("s3").get_paginator("list_objects_v2")
        found: list[str] = []
        for page in paginator.paginate(Bucket=self._bucket, Prefix=BARS_PREFIX):
            for obj in page.get("Contents", []):
                symbol = symbol_of_bars_key(obj["Key"])
                if symbol:
                    found.append(symbol)
        return sorted(found)


class BarsConflict(StoreError):
    """The series changed between our read and our write (another ingest ran at the same time)."""

    status = 409
    code = "conflict"


class BarsWriter:
    """Conditional writes of a series: a read gives the ETag, the write succeeds only if the object
    still has it (or, for a new symbol, does not exist yet), so two ingests never lose each other's
    bars."""

    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    def read(self, symbol: str) -> tuple[str | None, str | None]:
        """(CSV text, ETag), or (None, None) when the symbol has no bars yet."""
        if not object_exists(self._bucket, bars_key(symbol)):
            return None, None
        try:
            obj = client("s3").get_object(Bucket=self._bucket, Key=bars_key(symbol))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "") in ("NoSuchKey", "404"):
                return None, None
            raise StoreError(f"reading bars for {symbol} failed: {exc}") from exc
        return obj["Body"].read().decode(), obj["ETag"]

    def write(self, symbol: str, text: str, etag: str | None) -> None:
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            client("s3").put_object(
                Bucket=self._bucket, Key=bars_key(symbol), Body=text.encode(), ContentType="text/csv", **condition
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                raise BarsConflict(f"{bars_key(symbol)} changed while it was being appended to") from exc
            raise StoreError(f"writing bars for {symbol} failed: {exc}") from exc
