"""Kill switch and risk limits, one item per account, updated with optimistic locking."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from tradeloop_common.clock import iso
from tradeloop_common.dal.aws import client
from tradeloop_common.dal.codec import as_int, from_item, to_item
from tradeloop_common.errors import ConflictError
from tradeloop_common.models import Controls, RiskLimits
from tradeloop_common.settings import get_settings


class ControlsStore:
    def __init__(self, table: str) -> None:
        self._table = table

    def get(self, account_id: str) -> Controls:
        resp = client("dynamodb").get_item(
            TableName=self._table, Key=to_item({"account_id": account_id}), ConsistentRead=True
        )
        if "Item" not in resp:
            return Controls()
        data = from_item(resp["Item"])
        return Controls(
            trading_state=data["trading_state"],
            limits=RiskLimits.model_validate(data.get("limits", {})),
            updated_at=data.get("updated_at"),
            version=as_int(data.get("version", 0)),
        )

    def unchanged_check(self, account_id: str, version: int) -> dict[str, Any]:
        """A TransactWriteItems ConditionCheck: the controls are still the ones read at ``version``.

        Added to a fill's transaction, so an order that passed the risk checks against ACTIVE
        controls cannot fill after a kill switch was thrown in between (it re-reads instead)."""
        check: dict[str, Any] = {"TableName": self._table, "Key": to_item({"account_id": account_id})}
        if version == 0:
            check["ConditionExpression"] = "attribute_not_exists(account_id)"
        else:
            check["ConditionExpression"] = "version = :v"
            check["ExpressionAttributeValues"] = to_item({":v": version})
        return {"ConditionCheck": check}

    def put(self, account_id: str, controls: Controls, expected_version: int) -> Controls:
        assert controls.updated_at is not None
        new = controls.model_copy(update={"version": expected_version + 1})
        limits = {k: Decimal(str(v)) for k, v in new.limits.model_dump().items()}
        condition = "attribute_not_exists(account_id)" if expected_version == 0 else "version = :v"
        values = to_item({":v": expected_version}) if expected_version else None
        kwargs = {
            "TableName": self._table,
            "Item": to_item(
                {
                    "account_id": account_id,
                    "trading_state": new.trading_state.value,
                    "limits": limits,
                    "updated_at": iso(controls.updated_at),
                    "version": new.version,
                }
            ),
            "ConditionExpression": condition,
        }
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            client("dynamodb").put_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(
                    "controls changed since they were read",
                    [{"field": "controls", "fix": "GET /controls again and re-apply your change"}],
                ) from exc
            raise
        return new


@lru_cache
def get_controls_store() -> ControlsStore:
    return ControlsStore(get_settings().controls_table)
