"""Kill switch and risk limits, one item per account, updated with optimistic locking; and their
history, every change with who made it and why."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from tradeloop_common.clock import iso
from tradeloop_common.dal.aws import client
from tradeloop_common.dal.codec import as_int, from_item, to_item
from tradeloop_common.errors import ConflictError, StoreError
from tradeloop_common.models import Controls, ControlsChange, RiskLimits
from tradeloop_common.settings import get_settings

HISTORY_PREFIX = "CONTROLS#"  # in the accounts table: one item per change, "CONTROLS#<time>#<version>"


@dataclass(frozen=True)
class ControlsGuard:
    """The controls of ``account_id`` as a write read them: at ``version`` (0: no controls item yet).

    A money write of the trading store that carries one happens only if the controls are still at
    that version, else it is a CONFLICT: an order that passed the risk checks against ACTIVE
    controls cannot fill after a kill switch was thrown in between (it re-reads instead). Each
    store checks it its own way (DynamoDB: a ConditionCheck in the write's transaction)."""

    account_id: str
    version: int


class ControlsStore(ABC):
    """Kill switch and limits, one item per account with a version, and the record of every change."""

    @abstractmethod
    def get(self, account_id: str) -> Controls:
        """The account's controls; the defaults (version 0) when none were ever written."""

    @abstractmethod
    def put(
        self, account_id: str, controls: Controls, expected_version: int, actor: str, reason: str | None = None
    ) -> Controls:
        """Write ``controls`` as version ``expected_version + 1`` (ConflictError if someone else wrote
        first), with the record of the change: who (``actor``), why, old and new."""

    @abstractmethod
    def history(self, account_id: str, limit: int = 100) -> list[ControlsChange]:
        """Changes, newest first."""


class DynamoControlsStore(ControlsStore):
    """The controls item (the controls table) and its history (items of the accounts table), written
    in one transaction: a change cannot happen without its record."""

    def __init__(self, table: str, history_table: str = "") -> None:
        self._table = table
        self._history = history_table

    def get(self, account_id: str) -> Controls:
        try:
            resp = client("dynamodb").get_item(
                TableName=self._table, Key=to_item({"account_id": account_id}), ConsistentRead=True
            )
        except ClientError as exc:
            raise StoreError(f"reading the controls of {account_id} failed") from exc
        if "Item" not in resp:
            return Controls()
        data = from_item(resp["Item"])
        return Controls(
            trading_state=data["trading_state"],
            limits=RiskLimits.model_validate(data.get("limits", {})),
            updated_at=data.get("updated_at"),
            version=as_int(data.get("version", 0)),
            changed_by=data.get("changed_by"),
            reason=data.get("reason"),
        )

    def put(
        self, account_id: str, controls: Controls, expected_version: int, actor: str, reason: str | None = None
    ) -> Controls:
        assert controls.updated_at is not None
        old = self.get(account_id)
        new = controls.model_copy(update={"version": expected_version + 1, "changed_by": actor, "reason": reason})
        item = {
            "account_id": account_id,
            "trading_state": new.trading_state.value,
            "limits": _limits_item(new.limits),
            "updated_at": iso(controls.updated_at),
            "version": new.version,
            "changed_by": actor,
            "reason": reason,
        }
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(item)}
        if expected_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(account_id)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = to_item({":v": expected_version})
        items: list[dict[str, Any]] = [{"Put": put}]
        if self._history:
            change = ControlsChange.between(account_id, old, new, controls.updated_at, actor, reason)
            record = {
                **change.model_dump(mode="json", exclude={"old_limits", "new_limits"}),
                "item": f"{HISTORY_PREFIX}{iso(controls.updated_at)}#{new.version:08d}",
                "old_limits": _limits_item(old.limits),
                "new_limits": _limits_item(new.limits),
            }
            items.append(
                {
                    "Put": {
                        "TableName": self._history,
                        "Item": to_item(record),
                        "ConditionExpression": "attribute_not_exists(account_id)",
                    }
                }
            )
        try:
            client("dynamodb").transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("TransactionCanceledException", "TransactionConflictException"):
                raise ConflictError(
                    "controls changed since they were read",
                    [{"field": "controls", "fix": "GET /controls again and re-apply your change"}],
                ) from exc
            raise StoreError(f"writing the controls of {account_id} failed") from exc
        return new

    def history(self, account_id: str, limit: int = 100) -> list[ControlsChange]:
        if not self._history:
            return []
        try:
            resp = client("dynamodb").query(
                TableName=self._history,
                KeyConditionExpression="account_id = :a AND begins_with(#i, :p)",
                ExpressionAttributeNames={"#i": "item"},
                ExpressionAttributeValues=to_item({":a": account_id, ":p": HISTORY_PREFIX}),
                ScanIndexForward=False,
                Limit=limit,
            )
        except ClientError as exc:
            raise StoreError(f"reading the controls history of {account_id} failed") from exc
        return [ControlsChange.model_validate(from_item(i)) for i in resp.get("Items", [])]


def _limits_item(limits: RiskLimits) -> dict[str, Any]:
    """Limits as DynamoDB takes them: numbers as Decimal, the loss action as text."""
    return {k: v if isinstance(v, str) else Decimal(str(v)) for k, v in limits.model_dump(mode="json").items()}


@lru_cache
def get_controls_store() -> ControlsStore:
    settings = get_settings()
    return DynamoControlsStore(settings.controls_table, settings.accounts_table)
