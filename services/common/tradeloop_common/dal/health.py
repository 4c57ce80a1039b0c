"""The live model's health records (tradeloop_common.models.health): items of the signals table
under the partition ``MODEL#<model name>``, one per decision time, written once like the signals
beside them. A ticker can never take that key (the symbol pattern has no ``#``), the signal function
already owns the table (no new grant), and one query reads the latest records for the Model page."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from botocore.exceptions import ClientError

from tradeloop_common.clock import iso
from tradeloop_common.dal.aws import client
from tradeloop_common.dal.codec import to_item
from tradeloop_common.errors import StoreError
from tradeloop_common.models.health import ModelHealth
from tradeloop_common.settings import get_settings

HEALTH_PREFIX = "MODEL#"


def health_key(model_name: str) -> str:
    return f"{HEALTH_PREFIX}{model_name}"


class HealthStore:
    def __init__(self, table: str, model_name: str) -> None:
        self._table = table
        self._key = health_key(model_name)

    def put(self, health: ModelHealth) -> bool:
        """Write once: a rerun of the same decision time keeps the first verdict (False)."""
        item = {
            "symbol": self._key,
            "as_of": iso(health.as_of),
            "model_version": health.model_version,
            "drift_level": health.drift.level.value,
            "decay_status": health.decay.status.value,
            # One JSON attribute: the figures are floats, which DynamoDB would only take as Decimal.
            "body": health.model_dump_json(),
        }
        try:
            client("dynamodb").put_item(
                TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(symbol)"
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StoreError(f"storing the model health at {iso(health.as_of)} failed") from exc

    def get(self, as_of: datetime) -> ModelHealth | None:
        try:
            resp = client("dynamodb").get_item(
                TableName=self._table, Key=to_item({"symbol": self._key, "as_of": iso(as_of)}), ConsistentRead=True
            )
        except ClientError as exc:
            raise StoreError(f"reading the model health at {iso(as_of)} failed") from exc
        item = resp.get("Item")
        return ModelHealth.model_validate_json(item["body"]["S"]) if item else None

    def history(self, limit: int) -> list[ModelHealth]:
        """The latest ``limit`` records, newest first."""
        try:
            resp = client("dynamodb").query(
                TableName=self._table,
                KeyConditionExpression="symbol = :s",
                ExpressionAttributeValues=to_item({":s": self._key}),
                ScanIndexForward=False,
                Limit=limit,
            )
        except ClientError as exc:
            raise StoreError("reading the model health history failed") from exc
        return [ModelHealth.model_validate_json(i["body"]["S"]) for i in resp.get("Items", [])]


@lru_cache
def get_health_store() -> HealthStore:
    settings = get_settings()
    return HealthStore(settings.signals_table, settings.model_name)
