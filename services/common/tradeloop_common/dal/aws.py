"""boto3 clients, created once per process (one Lambda instance) and reused across invocations."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode backs off on throttling; timeouts are short because every call is on a
# request path with a Lambda deadline behind it.
_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=20)
# S3 retries in legacy mode: the same errors (throttling, 5xx, dropped connections), the same
# exponential backoff, but no retry budget. Standard mode takes 5-14 units of a 500-unit budget per
# retry and gives them back only on a 2xx answer; the bars are revalidated with If-None-Match, so a
# warm instance's S3 answers are 304s, and after about 36 retried 5xx in its lifetime it stopped
# retrying at all (intents then failed on every transient S3 error until SQS dead-lettered them:
# found by `make reliability`, tests/integration/test_fault_injection.py).
_S3_CONFIG = Config(retries={"max_attempts": 5, "mode": "legacy"}, connect_timeout=5, read_timeout=20)


@lru_cache
def client(service: str) -> Any:
    # AWS_ENDPOINT_URL (the emulator) is honoured by boto3 itself, so no endpoint is passed here.
    config = _S3_CONFIG if service == "s3" else _CONFIG
    return boto3.session.Session().client(service, config=config)


def object_exists(bucket: str, key: str) -> bool:
    """Whether ``key`` exists, by listing its prefix: a role allowed to list that prefix (s3:prefix
    condition) learns it without the 403 that GetObject gives for a missing key to a role that may
    not list the whole bucket."""
    page = client("s3").list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    return any(obj["Key"] == key for obj in page.get("Contents", []))


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints between sessions)."""
    client.cache_clear()
