"""The emulator's fault injection (tradeloop_local.faults) does what AWS does to a client, and the
services' clients survive it. Each test runs against an emulator of its own (no stack needed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

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


def test_fault_injection_is_off_until_asked_for(tmp_path: Path) -> None:
    from tradeloop_local.faults import FaultInjector

    assert FaultInjector().decide({"HTTP_AUTHORIZATION": "Credential=AKIA/x/us-east-1/dynamodb/aws4_request"}) is None
