"""Daily bars from the data bucket (``bars/daily/<SYMBOL>.csv``), cached per process by ETag.

Two ways to read a series: ``get`` (all of it: replay, the quality report, training's reads) and
``window``/``windows`` (the last N bars on or before a day, and every bar after it: the signal
step's lookback, a mark, a fill at an open). A window is read from the *end* of the one stored
CSV with a ranged GET (rows are ascending, so the recent bars are its last bytes): the bytes read
and parsed follow the lookback, not the length of the history, and there is no second copy of
the data for the ingest, ``ml ingest``, the seeding or replay to keep in step (one home for the
layout: ``tradeloop_common.layout``)."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
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

# A stored row is 45-70 bytes (6 decimals, whole shares): the first ranged read guesses this
# many bytes per bar wanted and reads more only when it got too few.
TAIL_BYTES_PER_BAR = 80
# Parallel reads of one call to ``windows``: S3 answers each in tens of milliseconds in AWS, so
# a 500-symbol universe takes about 500 / 16 round trips rather than 500.
READ_THREADS = 16


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


@dataclass(frozen=True)
class _Tail:
    """The last bytes of a stored series as read: ``data`` is ``object[start:size]``."""

    etag: str
    start: int
    size: int
    data: bytes
    checked: float  # time.monotonic() of the last read or revalidation

    def suffix(self, symbol: str, upto: date, want: int) -> tuple[Bars, bool]:
        """The shortest run of the last rows held that has ``want`` bars on or before ``upto``
        (all of them when the object's start is held), and True; or every row held and False
        when the bytes held are too few.
        Parsed by the one parser, a growing suffix at a time: the cost follows ``want``, not the
        bytes held (a replay may have read far back)."""
        length = min(max(want * TAIL_BYTES_PER_BAR, 1024), len(self.data))
        while True:
            whole = length >= len(self.data)
            text = self.data[len(self.data) - length :].decode()
            if not (whole and self.start == 0):  # the first line is cut (or the header): drop it
                text = ",".join(BAR_COLUMNS) + "\n" + text[text.find("\n") + 1 :]
            parsed = parse_bars(symbol, text)
            if parsed.count_upto(upto) >= want or (whole and self.start == 0):
                return parsed, True
            if whole:
                return parsed, False
            length = min(2 * length, len(self.data))


def _bytes_back_to(held: Bars, size: int, upto: date, want: int) -> int:
    """Bytes from the end that should hold ``want`` bars before ``upto``, from the density of
    what is held (bytes per calendar day and per bar), with a margin."""
    if len(held) < 2:
        return 0
    per_day = size / max((held.dates[-1] - held.dates[0]).days, 1)
    per_bar = size / len(held)
    return int(1.25 * (max((held.dates[-1] - upto).days, 0) * per_day + want * per_bar)) + 1024


class BarsRepository:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket
        self._cache: dict[str, tuple[str, Bars]] = {}
        self._tails: dict[str, _Tail] = {}
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

    def window(self, symbol: str, upto: date, bars: int, fresh_since: float | None = None) -> Bars:
        """The last ``bars`` bars on or before ``upto`` and every bar after it, i.e. a suffix of the
        series (fewer bars only when the whole series has fewer): a ranged GET of the object's end,
        longer ones only while too few bars came back. Cached per symbol by ETag: a warm instance
        revalidates with ``If-None-Match`` (a 304 transfers nothing), or not at all when the cached
        bytes were read or revalidated at or after ``fresh_since`` (``time.monotonic()``; e.g. the
        start of this invocation, so one step reading a symbol twice asks S3 once)."""
        want = max(bars, 1)
        cached = self._tails.get(symbol)
        if cached and fresh_since is not None and cached.checked >= fresh_since:
            found, enough = cached.suffix(symbol, upto, want)
            if enough:
                return found
        length = max(want * TAIL_BYTES_PER_BAR, 1024)
        if cached:  # revalidate the bytes held (a 304 transfers nothing), not a shorter range
            length = max(length, cached.size - cached.start)
        while True:
            tail = self._read_tail(symbol, length, cached)
            with self._lock:
                self._tails[symbol] = tail
            found, enough = tail.suffix(symbol, upto, want)
            if enough:
                return found
            # Too few bars on or before ``upto`` (a decision in the past, or wide rows): read at
            # least twice as much of the end, as much as the dates held say is needed.
            length, cached = max(2 * len(tail.data), 1024, _bytes_back_to(found, len(tail.data), upto, want)), None

    def windows(
        self, symbols: Iterable[str], upto: date, bars: int, fresh_since: float | None = None
    ) -> dict[str, Bars | UnknownSymbolError]:
        """``window`` for many symbols, read in parallel; a symbol without bars maps to its error."""
        unique = sorted(set(symbols))

        def one(symbol: str) -> Bars | UnknownSymbolError:
            try:
                return self.window(symbol, upto, bars, fresh_since)
            except UnknownSymbolError as exc:
                return exc

        if len(unique) <= 1:
            return {s: one(s) for s in unique}
        with ThreadPoolExecutor(min(READ_THREADS, len(unique))) as pool:
            return dict(zip(unique, pool.map(one, unique), strict=True))

    def _read_tail(self, symbol: str, length: int, cached: _Tail | None) -> _Tail:
        kwargs = {"Bucket": self._bucket, "Key": bars_key(symbol), "Range": f"bytes=-{length}"}
        if cached:
            kwargs["IfNoneMatch"] = cached.etag
        try:
            obj = client("s3").get_object(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if cached and code in ("304", "NotModified"):
                return _Tail(cached.etag, cached.start, cached.size, cached.data, time.monotonic())
            if code in ("NoSuchKey", "404", "NoSuchBucket"):
                raise UnknownSymbolError(
                    f"unknown symbol {symbol!r}: no daily bars in the data bucket",
                    [{"field": "symbol", "fix": "use a symbol with market data (e.g. AAPL) or ingest it"}],
                ) from exc
            if code == "InvalidRange":  # an empty object: no bars at all
                return _Tail("", 0, 0, b"", time.monotonic())
            raise StoreError(f"reading bars for {symbol} failed: {code}") from exc
        data = obj["Body"].read()
        # "bytes 123-456/789" for a part; no Content-Range when the whole object came back.
        content_range = obj.get("ContentRange") or ""
        if "/" in content_range:
            first = int(content_range.split(" ", 1)[1].split("-", 1)[0])
            size = int(content_range.rsplit("/", 1)[1])
        else:
            first, size = 0, len(data)
        return _Tail(obj["ETag"], first, size, data, time.monotonic())

    def put(self, symbol: str, text: str) -> None:
        try:
            client("s3").put_object(
                Bucket=self._bucket, Key=bars_key(symbol), Body=text.encode(), ContentType="text/csv"
            )
        except ClientError as exc:
            raise StoreError(f"writing bars for {symbol} failed: {exc}") from exc

    def symbols(self) -> list[str]:
        paginator = client("s3").get_paginator("list_objects_v2")
        found: list[str] = []
        try:
            for page in paginator.paginate(Bucket=self._bucket, Prefix=BARS_PREFIX):
                for obj in page.get("Contents", []):
                    symbol = symbol_of_bars_key(obj["Key"])
                    if symbol:
                        found.append(symbol)
        except ClientError as exc:
            raise StoreError(f"listing the symbols with bars failed: {exc}") from exc
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
