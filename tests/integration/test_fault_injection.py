"""The emulator's fault injection (tradeloop_local.faults) does what AWS does to a client, and the
services' clients survive it. Each test runs against an emulator of its own (no stack needed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from tradeloop_local.config import admin_aws_env
from tradeloop_local.embedded import admin_client, free_port, running_emulator

NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=5)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_emulator(tmp_path_factory.mktemp("faults") / "emulator.log") as (url, _):
        yield url


def _faults(url: str, **plan: Any) -> dict[str, Any]:
    r = requests.put(f"{url}/_tradeloop/faults", json={"targets": "all", "seed": 7, **plan}, timeout=10)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _client(url: str, service: str, config: Config | None = None) -> Any:
    return admin_client(url, service, config or Config(s3={"addressing_style": "path"}))


@pytest.fixture
def table(emulator: str) -> Iterator[str]:
    ddb = _client(emulator, "dynamodb")
    name = f"t{free_port()}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    _faults(emulator)


def test_a_throttled_or_failed_write_is_answered_as_aws_does_and_changes_nothing(emulator: str, table: str) -> None:
    ddb = _client(emulator, "dynamodb", NO_RETRY)
    for kind, code in (("throttle", "ThrottlingException"), ("error", "InternalServerError")):
        # Given every DynamoDB request answered with that fault
        _faults(emulator, **{kind: 1.0})
        # When a write is sent once
        with pytest.raises(ClientError) as raised:
            ddb.put_item(TableName=table, Item={"k": {"S": kind}})
        # Then it gets DynamoDB's error code, and nothing was written
        assert raised.value.response["Error"]["Code"] == code
        _faults(emulator)
        assert "Item" not in ddb.get_item(TableName=table, Key={"k": {"S": kind}})
    # And the emulator counted what it injected, by service and kind (before the reset above)


def test_a_lost_answer_means_the_write_happened_and_only_the_answer_is_missing(emulator: str, table: str) -> None:
    # Given answers lost after the request is applied
    status = _faults(emulator, timeout=1.0, timeout_seconds=0.1)
    assert status["total"] == 0
    ddb = _client(emulator, "dynamodb", NO_RETRY)
    # When a conditional write is sent once
    with pytest.raises((ConnectionClosedError, ReadTimeoutError)):
        ddb.put_item(TableName=table, Item={"k": {"S": "once"}}, ConditionExpression="attribute_not_exists(k)")
    counts = requests.get(f"{emulator}/_tradeloop/faults", timeout=10).json()
    _faults(emulator)
    # Then the client got no answer, the item exists, and a retry of the write is refused by its condition
    assert counts["injected"] == {"dynamodb": {"timeout": 1}}
    assert "Item" in ddb.get_item(TableName=table, Key={"k": {"S": "once"}})
    with pytest.raises(ClientError) as raised:
        ddb.put_item(TableName=table, Item={"k": {"S": "once"}}, ConditionExpression="attribute_not_exists(k)")
    assert raised.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_the_administrator_is_left_alone_unless_every_client_is_targeted(emulator: str, table: str) -> None:
    # Given every DynamoDB request from a function role refused
    _faults(emulator, error=1.0, targets="roles")
    # When the administrator (Terraform, seeding, the harness's checks) writes
    _client(emulator, "dynamodb", NO_RETRY).put_item(TableName=table, Item={"k": {"S": "admin"}})
    # Then it is not hit
    assert requests.get(f"{emulator}/_tradeloop/faults", timeout=10).json()["total"] == 0


def test_a_plan_with_rates_out_of_range_is_refused(emulator: str) -> None:
    r = requests.put(f"{emulator}/_tradeloop/faults", json={"throttle": 0.7, "error": 0.7}, timeout=10)
    assert r.status_code == 400 and "sum" in r.json()["error"]


def test_the_services_s3_client_keeps_retrying_after_an_instance_lifetime_of_not_modified_reads(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore's standard retry mode spends a budget on every retry and refills it only on 2xx
    answers; the bars are revalidated with If-None-Match, so a warm instance's S3 answers are 304s.
    Under that mode, after about 36 retried 5xx the client stopped retrying for good, and intents
    failed on transient S3 errors until SQS sent them to the DLQ (found by `make reliability`)."""
    from tradeloop_common.dal.aws import client, reset_clients

    s3 = _client(emulator, "s3")
    s3.create_bucket(Bucket="bars-budget")
    etag = s3.put_object(Bucket="bars-budget", Key="bars/daily/AAPL.csv", Body=b"date,open\n")["ETag"]
    for key, value in admin_aws_env(emulator).items():
        monkeypatch.setenv(key, value)
    # The backoff between retries is real time; what is tested is whether a retry happens at all.
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=lambda _s: None))
    reset_clients()
    try:
        services_s3 = client("s3")
        # Given one S3 request in five failing with a 500, the rest answered 304 Not Modified
        _faults(emulator, error=0.2, services=["s3"], seed=11)
        failures = 0
        # When a warm instance revalidates its bars 300 times
        for _ in range(300):
            try:
                services_s3.get_object(Bucket="bars-budget", Key="bars/daily/AAPL.csv", IfNoneMatch=etag)
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in ("304", "NotModified"):
                    failures += 1
        injected = requests.get(f"{emulator}/_tradeloop/faults", timeout=10).json()["injected"]["s3"]["error"]
    finally:
        _faults(emulator)
        reset_clients()
    # Then every 500 was retried away (the seed makes the draws fixed: no six in a row here)
    assert injected > 50
    assert failures == 0


def test_fault_injection_is_off_until_asked_for(tmp_path: Path) -> None:
    from tradeloop_local.faults import FaultInjector

    assert FaultInjector().decide({"HTTP_AUTHORIZATION": "Credential=AKIA/x/us-east-1/dynamodb/aws4_request"}) is None
