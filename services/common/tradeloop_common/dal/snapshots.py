"""Equity snapshots: one item per account and close, for the equity curve.

Written once: a snapshot is the account at that close, and the book of a later day marked at an
earlier close is not (a replay run twice, a redelivered event). The one exception: the fill step's
snapshot, taken after that session's opening fills, replaces one the schedule took before them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from botocore.exceptions import ClientError

from tradeloop_common.clock import iso
from tradeloop_common.dal.aws import client
from tradeloop_common.dal.codec import from_item, to_item
from tradeloop_common.errors import StoreError
from tradeloop_common.models import Snapshot
from tradeloop_common.settings import get_settings


class SnapshotStore(ABC):
    @abstractmethod
    def put(self, snapshot: Snapshot, after_fills: bool = False) -> bool:
        """Keep ``snapshot`` unless one of its account and close is kept already (then False).
        ``after_fills``: the fill step's, which replaces one kept without it (not one kept with it)."""

    @abstractmethod
    def query(self, account_id: str, start: datetime | None, end: datetime | None, limit: int) -> list[Snapshot]:
        """The account's snapshots from ``start`` to ``end`` (inclusive, open-ended when None): the
        most recent ``limit`` of them, oldest first."""


class DynamoSnapshotStore(SnapshotStore):
    """One item per account and close (``as_of``, the sort key), with its ``after_fills`` flag."""

    def __init__(self, table: str) -> None:
        self._table = table

    def put(self, snapshot: Snapshot, after_fills: bool = False) -> bool:
        data = snapshot.model_dump(mode="python")
        data["as_of"] = iso(snapshot.as_of)
        data["after_fills"] = after_fills
        kwargs: dict[str, object] = {"TableName": self._table, "Item": to_item(data)}
        if after_fills:
            kwargs["ConditionExpression"] = "attribute_not_exists(as_of) OR after_fills = :no"
            kwargs["ExpressionAttributeValues"] = to_item({":no": False})
        else:
            kwargs["ConditionExpression"] = "attribute_not_exists(as_of)"
        try:
            client("dynamodb").put_item(**kwargs)
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StoreError(f"storing the snapshot of {data['as_of']} failed") from exc

    def query(self, account_id: str, start: datetime | None, end: datetime | None, limit: int) -> list[Snapshot]:
        lo, hi = iso(start) if start else "0", iso(end) if end else "9"
        paginator = client("dynamodb").get_paginator("query")
        out: list[Snapshot] = []
        try:
            for page in paginator.paginate(
                TableName=self._table,
                KeyConditionExpression="account_id = :a AND as_of BETWEEN :lo AND :hi",
                ExpressionAttributeValues=to_item({":a": account_id, ":lo": lo, ":hi": hi}),
            ):
                for item in page.get("Items", []):
                    data = from_item(item)
                    out.append(
                        Snapshot.model_validate(
                            {k: (Decimal(v) if isinstance(v, Decimal) else v) for k, v in data.items()}
                        )
                    )
        except ClientError as exc:
            raise StoreError(f"reading the snapshots of {account_id} failed") from exc
        # keep the most recent ``limit`` points, oldest first
        return out[-limit:]


@lru_cache
def get_snapshot_store() -> SnapshotStore:
    return DynamoSnapshotStore(get_settings().snapshots_table)
