"""Signals: one item per symbol and decision time."""

from __future__ import annotations

from functools import lru_cache

from botocore.exceptions import ClientError

from tradeloop_common.clock import iso
from tradeloop_common.dal.aws import client
from tradeloop_common.dal.codec import from_item, to_item
from tradeloop_common.models import Signal
from tradeloop_common.settings import get_settings


class SignalStore:
    def __init__(self, table: str) -> None:
        self._table = table

    def put(self, signal: Signal) -> bool:
        """Write once: a redelivered run for the same symbol and time changes nothing."""
        data = signal.model_dump(mode="python")
        data["as_of"] = iso(signal.as_of)
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
            raise

    def history(self, symbol: str, limit: int) -> list[Signal]:
        resp = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="symbol = :s",
            ExpressionAttributeValues=to_item({":s": symbol}),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Signal.model_validate(from_item(i)) for i in resp.get("Items", [])]

    def latest(self, symbols: list[str]) -> list[Signal]:
        out: list[Signal] = []
        for symbol in symbols:
            out.extend(self.history(symbol, 1))
        return out


@lru_cache
def get_signal_store() -> SignalStore:
    return SignalStore(get_settings().signals_table)
