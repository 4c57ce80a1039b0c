"""Rebalance intents through the real SQS FIFO queue in moto, consumed by the order function: a
target the data cannot price is rejected saying so while the others trade; a body that is no
intent goes to the DLQ alone; a symbol on target gets no order. (Lifecycle, fills and idempotency:
test_execution.py.)"""

import json
import uuid
from datetime import date
from typing import Any

import requests
from signal_fixtures import drain_queue

from tests.conftest import table_count
from tradeloop_common.valuation import close_of
from tradeloop_local.scheduler import bars_ingested_event

FRI, MON = "2012-06-01", "2012-06-04"


def _intent(targets: dict[str, float], session: str = FRI) -> dict[str, Any]:
    return {
        "intent_id": f"t-{uuid.uuid4().hex[:12]}",
        "session": session,
        "as_of": close_of(date.fromisoformat(session)).isoformat(),
        "targets": targets,
    }


def _send_raw(aws_env: dict[str, Any], body: str, dedup: str) -> None:
    aws_env["session"].client("sqs").send_message(
        QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
        MessageBody=body,
        MessageGroupId="paper",
        MessageDeduplicationId=dedup,
    )


def _queue_counts(aws_env: dict[str, Any], env_name: str) -> tuple[int, int]:
    attrs = (
        aws_env["session"]
        .client("sqs")
        .get_queue_attributes(
            QueueUrl=aws_env["stack"][env_name],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    )
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def _orders(local_runtime: Any) -> dict[str, dict[str, Any]]:
    orders = requests.get(f"{local_runtime.api_url}/orders?limit=50", timeout=30).json()["orders"]
    return {o["symbol"]: o for o in orders}


def test_a_target_the_data_cannot_price_is_rejected_saying_so_and_the_others_wait_for_the_open(
    local_runtime: Any, fresh_account: Any, aws_env: dict[str, Any]
) -> None:
    # Given a rebalance naming a symbol the data bucket has no bars for
    _send_raw(aws_env, json.dumps(_intent({"IBM": 0.1, "ZZZZ": 0.1})), "u1")
    # When it is consumed
    assert drain_queue(local_runtime) == 1
    # Then ZZZZ is REJECTED with the reason (a retry could not fix it) and IBM waits for Monday's open
    orders = _orders(local_runtime)
    assert orders["ZZZZ"]["status"] == "REJECTED" and "no market data for ZZZZ" in orders["ZZZZ"]["reason"]
    assert orders["IBM"]["status"] == "PENDING" and orders["IBM"]["session"] == MON
    assert _queue_counts(aws_env, "TRADELOOP_ORDER_QUEUE_URL") == (0, 0)


def test_a_symbol_on_target_gets_no_order(local_runtime: Any, fresh_account: Any, aws_env: dict[str, Any]) -> None:
    # Given IBM bought on Monday's open for a 10 % target
    _send_raw(aws_env, json.dumps(_intent({"IBM": 0.1})), "o1")
    drain_queue(local_runtime)
    local_runtime.pools["order"].invoke(bars_ingested_event(date.fromisoformat(MON)))
    # When Monday's close asks for the same 10 % (and nothing for MSFT, held at 0)
    _send_raw(aws_env, json.dumps(_intent({"IBM": 0.1, "MSFT": 0.0}, session=MON)), "o2")
    drain_queue(local_runtime)
    # Then no new order: the drift is inside the band, and MSFT is flat as asked
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 1


def test_a_body_that_is_no_intent_goes_to_the_dlq_alone_and_the_intent_behind_it_trades(
    local_runtime: Any, fresh_account: Any, aws_env: dict[str, Any]
) -> None:
    sqs = aws_env["session"].client("sqs")
    dlq_url = aws_env["stack"]["TRADELOOP_ORDER_DLQ_URL"]
    # Given an unreadable body and a good intent queued behind it in the account's group (SQS FIFO
    # hands a group's messages out together, in order: a failed head would take the intent behind
    # it to the DLQ after maxReceiveCount)
    _send_raw(aws_env, "this is not an intent", "p1")
    _send_raw(aws_env, json.dumps(_intent({"GOOG": 0.1})), "p2")
    # When the poller hands them over, once
    assert local_runtime.poller.poll_once(wait_seconds=0) == 2
    # Then the order function moved the bad one to the DLQ by itself, saying why, and nothing is left
    assert _queue_counts(aws_env, "TRADELOOP_ORDER_QUEUE_URL") == (0, 0)
    dead = sqs.receive_message(
        QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
    ).get("Messages", [])
    assert [m["Body"] for m in dead] == ["this is not an intent"]
    assert "invalid rebalance intent" in dead[0]["MessageAttributes"]["reason"]["StringValue"]
    sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=dead[0]["ReceiptHandle"])
    # And the intent behind it placed its order
    assert _orders(local_runtime)["GOOG"]["status"] == "PENDING"
