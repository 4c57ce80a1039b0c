"""Equity snapshots: one item per account and time, for the equity curve."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from tradeloop_common.clock import iso
from tradeloop_common.dal.aws import client
from tradeloop_common.dal.codec import from_item, to_item
from tradeloop_common.models import Snapshot
from tradeloop_common.settings import get_settings


class SnapshotStore:
    def __init__(self, table: str) -> None:
        self._table = table

    def put(self, snapshot: Snapshot) -> None:
        data = snapshot.model_dump(mode="python")
        data["as_of"] = iso(snapshot.as_of)
        client("dynamodb").put_item(TableName=self._table, Item=to_item(data))

    def query(self, account_id: str, start: datetime | None, end: datetime | None, limit: int) -> list[Snapshot]:
        lo, hi = iso(start) if start else "0", iso(end) if end else "9"
        paginator = client("dynamodb").get_paginator("query")
        out: list[Snapshot] = []
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="account_id = :a AND as_of BETWEEN :lo AND :hi",
            ExpressionAttributeValues=to_item({":a": account_id, ":lo": lo, ":hi": hi}),
        ):
            for item in page.get("Items", []):
                data = from_item(item)
                out.append(
                    Snapshot.model_validate({k: (Decimal(v) if isinstance(v, Decimal) else v) for k, v in data.items()})
                )
        # keep the most recent ``limit`` points, oldest first
        return out[-limit:]


@lru_cache
def get_snapshot_store() -> SnapshotStore:
    return SnapshotStore(get_settings().snapshots_table)
