"""boto3 clients, created once per process (one Lambda instance) and reused across invocations."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from tradeloop_common.errors import StoreError

# Standard retry mode backs off on throttling; timeouts are short because every call is on a
# request path with a Lambda deadline behind it.
# The bar windows and the signal rows are read by 16 threads: the pools hold a connection for each
# (botocore's default of 10 would discard the rest after every call and connect again).
_POOL = 32
_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "standard"},
    connect_timeout=5,
    read_timeout=20,
    max_pool_connections=_POOL,
)
# S3 retries in legacy mode: the same errors (throttling, 5xx, dropped connections), the same
# exponential backoff, but no retry budget. Standard mode takes 5-14 units of a 500-unit budget per
# retry and gives them back only on a 2xx answer; the bars are revalidated with If-None-Match, so a
# warm instance's S3 answers are 304s, and after about 36 retried 5xx in its lifetime it stopped
# retrying at all (intents then failed on every transient S3 error until SQS dead-lettered them:
# found by `make reliability`, tests/integration/test_fault_injection.py).
_S3_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "legacy"}, connect_timeout=5, read_timeout=20, max_pool_connections=_POOL
)


@lru_cache
def client(service: str) -> Any:
    # AWS_ENDPOINT_URL (the emulator) is honoured by boto3 itself, so no endpoint is passed here.
    config = _S3_CONFIG if service == "s3" else _CONFIG
    return boto3.session.Session().client(service, config=config)


def object_exists(bucket: str, key: str) -> bool:
    """Whether ``key`` exists, by listing its prefix: a role allowed to list that prefix (s3:prefix
    condition) learns it without the 403 that GetObject gives for a missing key to a role that may
    not list the whole bucket."""
    try:
        page = client("s3").list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    except ClientError as exc:
        raise StoreError(f"looking for s3://{bucket}/{key} failed: {exc}") from exc
    return any(obj["Key"] == key for obj in page.get("Contents", []))


BATCH_GET_KEYS = 100  # DynamoDB's limit per BatchGetItem


def batch_get_items(table: str, keys: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    """The items of ``table`` that exist among ``keys``, strongly consistent, 100 keys a request;
    keys DynamoDB returns unprocessed (throttling) are asked again with backoff. ``what`` names
    them in the error."""
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_KEYS):
        request: dict[str, Any] = {table: {"Keys": keys[start : start + BATCH_GET_KEYS], "ConsistentRead": True}}
        for attempt in range(8):
            try:
                resp = client("dynamodb").batch_get_item(RequestItems=request)
            except ClientError as exc:
                raise StoreError(f"reading {what} failed") from exc
            found += resp.get("Responses", {}).get(table, [])
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.05 * 2**attempt)
        else:
            raise StoreError(f"reading {what} failed: keys left unprocessed after 8 attempts")
    return found


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints between sessions)."""
    client.cache_clear()
