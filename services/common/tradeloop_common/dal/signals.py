"""Signals: one item per symbol and decision time, written once.

A run over a universe reads and writes many rows: ``get_many`` is BatchGetItem (100 keys a
call); ``previous_many`` and ``put_many`` run one request per symbol on a few threads, because
neither has a batch form that keeps its meaning: "the latest row before t" is a Query, and a
write-once row needs its condition (BatchWriteItem takes none; TransactWriteItems would bill
2 write units per row for an atomicity across symbols that nothing needs)."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from tradeloop_common.clock import iso
from tradeloop_common.dal.aws import batch_get_items, client
from tradeloop_common.dal.codec import decode_start_key, encode_token, from_item, to_item
from tradeloop_common.errors import StoreError
from tradeloop_common.models import Signal
from tradeloop_common.settings import get_settings

THREADS = 16


def _signal_from(item: dict[str, Any]) -> Signal:
    return Signal.model_validate(from_item(item))


def _parallel(fn: Any, items: list[Any]) -> list[Any]:
    if len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(min(THREADS, len(items))) as pool:
        return list(pool.map(fn, items))


class SignalStore:
    def __init__(self, table: str) -> None:
        self._table = table

    def put(self, signal: Signal) -> bool:
        """Write once: a redelivered run for the same symbol and time changes nothing."""
        data = signal.model_dump(mode="python")
        data["as_of"] = iso(signal.as_of)
        data["action"] = signal.action.value
        if signal.created_at:
            data["created_at"] = iso(signal.created_at)
        try:
            client("dynamodb").put_item(
                TableName=self._table, Item=to_item(data), ConditionExpression="attribute_not_exists(symbol)"
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StoreError(f"storing signal {signal.signal_id} failed") from exc

    def put_many(self, signals: list[Signal]) -> list[bool]:
        """``put`` for each, in parallel; True where written, False where a row was there."""
        return _parallel(self.put, signals)

    def get_many(self, symbols: Iterable[str], as_of: datetime) -> dict[str, Signal]:
        """The rows of ``symbols`` at ``as_of`` that exist (strongly consistent), 100 per request."""
        keys = [to_item({"symbol": s, "as_of": iso(as_of)}) for s in sorted(set(symbols))]
        signals = [_signal_from(item) for item in batch_get_items(self._table, keys, "signals")]
        return {s.symbol: s for s in signals}

    def previous_many(self, symbols: Iterable[str], before: datetime) -> dict[str, Signal]:
        """``previous`` for each symbol that has one, queried in parallel."""
        unique = sorted(set(symbols))
        return {s: p for s, p in zip(unique, _parallel(lambda s: self.previous(s, before), unique), strict=True) if p}

    def get(self, symbol: str, as_of: datetime) -> Signal | None:
        try:
            resp = client("dynamodb").get_item(
                TableName=self._table, Key=to_item({"symbol": symbol, "as_of": iso(as_of)}), ConsistentRead=True
            )
        except ClientError as exc:
            raise StoreError(f"reading the signal of {symbol} at {iso(as_of)} failed") from exc
        return _signal_from(resp["Item"]) if "Item" in resp else None

    def previous(self, symbol: str, before: datetime) -> Signal | None:
        """The latest signal for ``symbol`` strictly before ``before``."""
        found = self.before(symbol, before, 1)
        return found[0] if found else None

    def before(self, symbol: str, before: datetime, limit: int) -> list[Signal]:
        """Up to ``limit`` signals for ``symbol`` strictly before ``before``, newest first (a replay of
        the past never sees the rows of its future)."""
        try:
            resp = client("dynamodb").query(
                TableName=self._table,
                KeyConditionExpression="symbol = :s AND as_of < :a",
                ExpressionAttributeValues=to_item({":s": symbol, ":a": iso(before)}),
                ScanIndexForward=False,
                Limit=limit,
                ConsistentRead=True,
            )
        except ClientError as exc:
            raise StoreError(f"reading the signals of {symbol} before {iso(before)} failed") from exc
        return [_signal_from(i) for i in resp.get("Items", [])]

    def history_page(self, symbol: str, limit: int, next_token: str | None = None) -> tuple[list[Signal], str | None]:
        """Newest first, ``limit`` at a time; the token resumes after the last one returned."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "symbol = :s",
            "ExpressionAttributeValues": to_item({":s": symbol}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if next_token:
            query["ExclusiveStartKey"] = to_item(decode_start_key(next_token, ("symbol", "as_of"), {"symbol": symbol}))
        try:
            resp = client("dynamodb").query(**query)
        except ClientError as exc:
            raise StoreError(f"reading the signal history of {symbol} failed") from exc
        signals = [_signal_from(i) for i in resp.get("Items", [])]
        last = resp.get("LastEvaluatedKey")
        token = encode_token(from_item(last)) if last and len(signals) == limit else None
        return signals, token

    def history(self, symbol: str, limit: int) -> list[Signal]:
        return self.history_page(symbol, limit)[0]

    def latest(self, symbols: list[str]) -> list[Signal]:
        out: list[Signal] = []
        for symbol in symbols:
            out.extend(self.history(symbol, 1))
        return out


@lru_cache
def get_signal_store() -> SignalStore:
    return SignalStore(get_settings().signals_table)
