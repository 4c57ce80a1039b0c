"""Fixtures shared by every suite: a real moto server over HTTP enforcing IAM, the stack Terraform
creates in it, the local runtime (router + Lambda worker processes + poller, each service as its
role) in front of it, and a fresh account."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest

from tests.utils import loud, remember_config

ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")


def pytest_configure(config: pytest.Config) -> None:
    remember_config(config)


@pytest.fixture
def aws_in_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in this process, nothing created, the data layer's clients made anew: for a unit test of
    a data-layer path (no emulator)."""
    from moto import mock_aws

    from tradeloop_common.dal.aws import reset_clients

    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        reset_clients()
        yield
    reset_clients()


@pytest.fixture(scope="session")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The embedded stack as `make up` builds it: an emulator process enforcing IAM, the stack
    applied by Terraform (each service's role and policy included; the Python bootstrap, without
    roles, only where Terraform cannot run, said loudly), bars and an account seeded.

    Yields {"endpoint_url", "stack" (resource names), "info" (StackInfo), "session" (administrator)}."""
    from tradeloop_local.embedded import embedded_stack

    messages: list[str] = []
    with embedded_stack(tmp_path_factory.mktemp("stack"), log=messages.append) as stack:
        if not stack.info.iam_enforced:
            loud(f"SKIPPED: IAM enforcement ({'; '.join(messages)})")
        # Tests switch the live model between cases: the signal function must see every LATEST change.
        os.environ["TRADELOOP_MODEL_CHECK_SECONDS"] = "0"
        yield {
            "endpoint_url": stack.endpoint_url,
            "stack": dict(stack.info.environment),
            "info": stack.info,
            "session": boto3.session.Session(),
        }


@pytest.fixture(scope="session")
def local_runtime(aws_env: dict[str, Any]) -> Iterator[Any]:
    """The local runtime (router + each service in worker processes, each as its function's role).
    The background poller is off: tests drive the queue with ``local_runtime.poller.poll_once()``
    so they control delivery."""
    from tradeloop_local.runtime import LocalRuntime

    runtime = LocalRuntime(info=aws_env["info"], concurrency=4, poll=False).start()
    try:
        yield runtime
    finally:
        runtime.stop()


@pytest.fixture(scope="session")
def local_api(local_runtime: Any) -> str:
    """Base URL of the local HTTP API (the router)."""
    return str(local_runtime.api_url)


def _wipe(session: boto3.session.Session, table: str, keys: list[str]) -> None:
    ddb = session.client("dynamodb")
    for page in ddb.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression=", ".join(f"#k{i}" for i in range(len(keys))),
        ExpressionAttributeNames={f"#k{i}": k for i, k in enumerate(keys)},
    ):
        for item in page.get("Items", []):
            ddb.delete_item(TableName=table, Key={k: item[k] for k in keys})


def _empty_queue(session: boto3.session.Session, queue_url: str) -> None:
    """Delete every visible message (PurgeQueue is limited to once a minute)."""
    sqs = session.client("sqs")
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
        "Messages", []
    ):
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )


@pytest.fixture
def fresh_account(aws_env: dict[str, Any]) -> Callable[[Decimal], None]:
    """Reset the paper account to ``cash`` with no orders, positions, snapshots, idempotency records,
    signals or queued intents."""

    def reset(cash: Decimal = Decimal("100000")) -> None:
        stack, session = aws_env["stack"], aws_env["session"]
        _wipe(session, stack["TRADELOOP_ORDERS_TABLE"], ["order_id"])
        _wipe(session, stack["TRADELOOP_ACCOUNTS_TABLE"], ["account_id", "item"])
        _wipe(session, stack["TRADELOOP_CONTROLS_TABLE"], ["account_id"])
        _wipe(session, stack["TRADELOOP_SNAPSHOTS_TABLE"], ["account_id", "as_of"])
        _wipe(session, stack["TRADELOOP_IDEMPOTENCY_TABLE"], ["id"])
        # Nothing left over from another module: no signal rows, no queued intents.
        _wipe(session, stack["TRADELOOP_SIGNALS_TABLE"], ["symbol", "as_of"])
        _empty_queue(session, stack["TRADELOOP_ORDER_QUEUE_URL"])
        from tradeloop_local.seed import seed_account

        seed_account(cash)

    reset()
    return reset


def table_count(aws_env: dict[str, Any], env_name: str) -> int:
    ddb = aws_env["session"].client("dynamodb")
    return sum(
        p["Count"] for p in ddb.get_paginator("scan").paginate(TableName=aws_env["stack"][env_name], Select="COUNT")
    )


@pytest.fixture(scope="session")
def fake_alpaca() -> Iterator[Any]:
    """The local fake of Alpaca's trading API (tradeloop_local.fake_alpaca), served on 127.0.0.1 for
    the session; ``.url``, ``.state`` (keys, orders, submissions)."""
    from tradeloop_local.fake_alpaca import start_fake_alpaca

    server = start_fake_alpaca()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def order_role_policy(aws_env: dict[str, Any]) -> Iterator[Callable[[Callable[[list[Any]], list[Any]]], None]]:
    """Rewrite the statements of the order role's policy in the emulator (``edit(statements)``
    returns the new list); the original comes back after the test."""
    if not aws_env["info"].iam_enforced:
        pytest.skip("SKIPPED: the stack has no roles (Terraform could not run): IAM is not enforced")
    iam = aws_env["session"].client("iam")
    role, name = "tradeloop-order-lambda", "tradeloop-order-least-privilege"
    original = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]

    def edit(change: Callable[[list[Any]], list[Any]]) -> None:
        doc = {**original, "Statement": change(list(original["Statement"]))}
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(doc))

    try:
        yield edit
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(original))
