"""Create the stack's resources in the emulator with boto3 (the embedded mode's bootstrap).

Used when Terraform cannot run here (TRADELOOP_PROVISION=python, or no provider mirror): the same
tables (services/tables.json), buckets and queue as terraform/modules/stack, named by the
defaults in tradeloop_common.settings, but no roles: IAM is not enforced on such a stack."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from tradeloop_common.settings import ENV_NAMES, Settings
from tradeloop_local.config import REPO_ROOT

ORDER_QUEUE = "tradeloop-order-intents.fifo"
ORDER_DLQ = "tradeloop-order-intents-dlq.fifo"
MAX_RECEIVES = 5


TABLES_FILE = REPO_ROOT / "services" / "tables.json"
# Logical table name -> the Settings field naming it (tradeloop-<name> by default).
TABLE_SETTINGS = {
    "orders": "orders_table",
    "accounts": "accounts_table",
    "controls": "controls_table",
    "signals": "signals_table",
    "snapshots": "snapshots_table",
    "idempotency": "idempotency_table",
}


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    return keys + ([{"AttributeName": range_key, "KeyType": "RANGE"}] if range_key else [])


def table_specs(s: Settings) -> list[dict[str, Any]]:
    """CreateTable requests for services/tables.json, the schema terraform/modules/tables applies."""
    specs = []
    for name, t in json.loads(TABLES_FILE.read_text())["tables"].items():
        spec: dict[str, Any] = {
            "TableName": getattr(s, TABLE_SETTINGS[name]),
            "KeySchema": _key_schema(t["hash_key"], t.get("range_key")),
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": k} for a, k in t["attributes"].items()],
        }
        if t.get("gsis"):
            spec["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index,
                    "KeySchema": _key_schema(g["hash_key"], g.get("range_key")),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index, g in t["gsis"].items()
            ]
        specs.append(spec)
    return specs


def create_stack(session: boto3.session.Session, settings: Settings | None = None) -> dict[str, str]:
    """Create everything (idempotent) and return the Lambda environment naming it."""
    s = settings or Settings()
    ddb = session.client("dynamodb")
    existing = set(ddb.list_tables()["TableNames"])
    for spec in table_specs(s):
        if spec["TableName"] not in existing:
            ddb.create_table(BillingMode="PAY_PER_REQUEST", **spec)
    s3 = session.client("s3")
    for bucket in (s.data_bucket, s.models_bucket):
        try:
            s3.create_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    sqs = session.client("sqs")
    fifo = {"FifoQueue": "true", "ContentBasedDeduplication": "false"}
    dlq_url = sqs.create_queue(QueueName=ORDER_DLQ, Attributes=fifo)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=ORDER_QUEUE,
        Attributes={
            **fifo,
            "VisibilityTimeout": "10",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}),
        },
    )["QueueUrl"]
    return lambda_environment(queue_url, dlq_url, s)


def lambda_environment(queue_url: str, dlq_url: str, settings: Settings | None = None) -> dict[str, str]:
    """The resource names under their environment variable names: what Terraform's `stack`
    output holds (tests/iac checks the two agree)."""
    s = settings or Settings()
    names = {**{ENV_NAMES[f]: getattr(s, f) for f in TABLE_SETTINGS.values()}}
    names[ENV_NAMES["data_bucket"]] = s.data_bucket
    names[ENV_NAMES["models_bucket"]] = s.models_bucket
    names[ENV_NAMES["order_queue_url"]] = queue_url
    names[ENV_NAMES["order_dlq_url"]] = dlq_url
    return names
