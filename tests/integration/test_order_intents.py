"""Order intents through the real SQS FIFO queue in moto, consumed by the order function."""

import json
import uuid
from decimal import Decimal as D

import requests

from tests.conftest import table_count
from tests.utils import money
from tradeloop_common.dal.bars import parse_bars


def _send(aws_env, intent: dict, dedup: str) -> None:
    aws_env["session"].client("sqs").send_message(
        QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
        MessageBody=json.dumps(intent),
        MessageGroupId=intent["symbol"],
        MessageDeduplicationId=dedup,
    )


def _drain(local_runtime) -> int:
    handed = 0
    while (n := local_runtime.poller.poll_once(wait_seconds=0)) > 0:
        handed += n
    return handed


def _ibm_bars(aws_env):
    body = (
        aws_env["session"]
        .client("s3")
        .get_object(Bucket=aws_env["stack"]["TRADELOOP_DATA_BUCKET"], Key="bars/daily/IBM.csv")["Body"]
        .read()
        .decode()
    )
    return parse_bars("IBM", body)


def test_redelivered_intent_gives_one_order_and_one_fill(local_runtime, fresh_account, aws_env) -> None:
    # Given an intent to hold 10% of equity in IBM, decided at the close of 2012-06-01
    intent = {
        "intent_id": f"sig-IBM-{uuid.uuid4().hex[:8]}",
        "symbol": "IBM",
        "target_weight": 0.1,
        "as_of": "2012-06-01T21:00:00Z",
        "model_version": "v-test",
        "signal_id": "s1",
    }
    # When SQS delivers it twice in one batch and once more later (at-least-once delivery)
    _send(aws_env, intent, "d1")
    _send(aws_env, intent, "d2")
    assert _drain(local_runtime) == 2
    _send(aws_env, intent, "d3")
    assert _drain(local_runtime) == 1

    # Then exactly one order exists, filled once at the next open (2012-06-04) plus slippage
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 1
    orders = requests.get(f"{local_runtime.api_url}/orders", timeout=30).json()["orders"]
    (order,) = orders
    assert order["status"] == "FILLED" and len(order["fills"]) == 1 and order["source"] == "signal"
    bars = _ibm_bars(aws_env)
    day, next_open = bars.next_open(__import__("datetime").date(2012, 6, 1))
    assert str(day) == "2012-06-04"
    assert money(order["fills"][0]["price"]) == (next_open * D("1.0005")).quantize(D("0.0001"))
    # sized on equity at the decision close: floor(0.1 * 100000 / close(2012-06-01))
    close = bars.last_close(__import__("datetime").date(2012, 6, 1))[1]
    assert order["quantity"] == int(D("10000") / close)
    pos = requests.get(f"{local_runtime.api_url}/positions/IBM", timeout=30).json()
    assert pos["quantity"] == order["quantity"]
    # And the batch left an equity snapshot at the close of the fill day
    history = requests.get(f"{local_runtime.api_url}/portfolio/history", timeout=30).json()["snapshots"]
    assert [s["as_of"][:10] for s in history] == ["2012-06-04"]
    # And the queue is empty: nothing is left to be redelivered
    attrs = (
        aws_env["session"]
        .client("sqs")
        .get_queue_attributes(
            QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
    )
    assert all(v == "0" for v in attrs["Attributes"].values())


def test_intent_on_target_places_no_order_and_a_bad_record_is_reported_failed(
    local_runtime, fresh_account, aws_env
) -> None:
    # A zero target with no position is already on target
    _send(aws_env, {"intent_id": "flat-1", "symbol": "MSFT", "target_weight": 0, "as_of": "2012-06-01"}, "f1")
    assert _drain(local_runtime) == 1
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 0
    # A malformed record is reported as a batch item failure, so it stays on the queue (then the DLQ)
    _send(aws_env, {"intent_id": "broken", "symbol": "MSFT", "target_weight": 7, "as_of": "x"}, "b1")
    assert local_runtime.poller.poll_once(wait_seconds=0) == 1
    attrs = (
        aws_env["session"]
        .client("sqs")
        .get_queue_attributes(
            QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
            AttributeNames=["ApproximateNumberOfMessagesNotVisible"],
        )
    )
    assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 0
    aws_env["session"].client("sqs").purge_queue(QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"])
