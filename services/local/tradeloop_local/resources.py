"""Create the stack's resources in the emulator with boto3 (the embedded mode's bootstrap).

The same tables, buckets and queue are defined for AWS in terraform/modules; names here follow
the defaults in tradeloop_common.settings, so nothing is retyped."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from tradeloop_common.settings import ENV_NAMES, Settings

ORDER_QUEUE = "tradeloop-order-intents.fifo"
ORDER_DLQ = "tradeloop-order-intents-dlq.fifo"
MAX_RECEIVES = 5


def _s(name: str) -> dict[str, str]:
    return {"AttributeName": name, "AttributeType": "S"}


def table_specs(s: Settings) -> list[dict[str, Any]]:
    hash_range = lambda h, r: [{"AttributeName": h, "KeyType": "HASH"}, {"AttributeName": r, "KeyType": "RANGE"}]  # noqa: E731
    return [
        {
            "TableName": s.orders_table,
            "KeySchema": [{"AttributeName": "order_id", "KeyType": "HASH"}],
            "AttributeDefinitions": [_s("order_id"), _s("account_id"), _s("symbol"), _s("created_key")],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by_account",
                    "KeySchema": hash_range("account_id", "created_key"),
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "by_symbol",
                    "KeySchema": hash_range("symbol", "created_key"),
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
        },
        {
            "TableName": s.accounts_table,
            "KeySchema": hash_range("account_id", "item"),
            "AttributeDefinitions": [_s("account_id"), _s("item")],
        },
        {
            "TableName": s.controls_table,
            "KeySchema": [{"AttributeName": "account_id", "KeyType": "HASH"}],
            "AttributeDefinitions": [_s("account_id")],
        },
        {
            "TableName": s.signals_table,
            "KeySchema": hash_range("symbol", "as_of"),
            "AttributeDefinitions": [_s("symbol"), _s("as_of")],
        },
        {
            "TableName": s.snapshots_table,
            "KeySchema": hash_range("account_id", "as_of"),
            "AttributeDefinitions": [_s("account_id"), _s("as_of")],
        },
        {
            "TableName": s.idempotency_table,
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [_s("id")],
        },
    ]


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
    """The Lambda environment naming the stack (also built from Terraform outputs by tfstack)."""
    s = settings or Settings()
    env = {ENV_NAMES[k]: str(v) for k, v in s.model_dump().items() if k in ENV_NAMES and v is not None}
    env.pop("AWS_ENDPOINT_URL", None)
    env[ENV_NAMES["order_queue_url"]] = queue_url
    env["TRADELOOP_ORDER_DLQ_URL"] = dlq_url
    return env
