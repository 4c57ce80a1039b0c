"""Fixtures shared by every suite: a real moto server over HTTP, the stack created in it, the
local runtime (router + Lambda worker processes + poller) in front of it, and a fresh account."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest

from tradeloop_local.config import dummy_aws_env

ARTIFACTS = os.path.join(os.path.dirname(__file__), "artifacts")


def _reset_caches() -> None:
    from tradeloop_common.dal import aws, controls, queue, registry, signals, snapshots, trading
    from tradeloop_common.settings import get_environment_variables

    get_environment_variables.cache_clear()
    aws.reset_clients()
    trading.get_trading_store.cache_clear()
    controls.get_controls_store.cache_clear()
    snapshots.get_snapshot_store.cache_clear()
    signals.get_signal_store.cache_clear()
    registry.get_model_store.cache_clear()
    queue.get_intent_queue.cache_clear()


@pytest.fixture(scope="session")
def aws_env() -> Iterator[dict[str, Any]]:
    """moto server on a free loopback port, the stack created in it, bars and an account seeded.

    Yields {"endpoint_url", "stack" (the Lambda environment naming every resource), "session"}."""
    from tradeloop_local.emulator import Emulator
    from tradeloop_local.resources import create_stack
    from tradeloop_local.seed import seed_account, seed_bars

    emulator = Emulator(port=0).start()
    saved = dict(os.environ)
    os.environ.update(dummy_aws_env(emulator.url))
    _reset_caches()
    session = boto3.session.Session()
    stack = create_stack(session)
    # Tests switch the live model between cases: the signal function must see every LATEST change.
    stack["TRADELOOP_MODEL_CHECK_SECONDS"] = "0"
    os.environ.update(stack)
    _reset_caches()
    seed_bars()
    seed_account()
    try:
        yield {"endpoint_url": emulator.url, "stack": stack, "session": session}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        _reset_caches()
        emulator.stop()


@pytest.fixture(scope="session")
def local_runtime(aws_env: dict[str, Any]) -> Iterator[Any]:
    """The local runtime (router + each service in worker processes). The background poller is off:
    tests drive the queue with ``local_runtime.poller.poll_once()`` so they control delivery."""
    from tradeloop_local.runtime import LocalRuntime

    runtime = LocalRuntime(
        stack=aws_env["stack"], endpoint_url=aws_env["endpoint_url"], concurrency=4, poll=False
    ).start()
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
