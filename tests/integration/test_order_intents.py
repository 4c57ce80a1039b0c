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


def test_intent_on_target_places_no_order_and_a_bad_intent_is_stored_rejected_with_its_reason(
    local_runtime, fresh_account, aws_env
) -> None:
    # Given a zero target with no position: it is already on target
    _send(aws_env, {"intent_id": "flat-1", "symbol": "MSFT", "target_weight": 0, "as_of": "2012-06-01"}, "f1")
    # When it is consumed
    assert _drain(local_runtime) == 1
    # Then no order is placed
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 0
    # Given a malformed intent that names its symbol
    _send(aws_env, {"intent_id": "broken", "symbol": "MSFT", "target_weight": 7, "as_of": "x"}, "b1")
    # When it is consumed
    assert local_runtime.poller.poll_once(wait_seconds=0) == 1
    # Then it is deleted from the queue (a retry cannot fix it) and stored as REJECTED, saying why
    assert _queue_counts(aws_env, "TRADELOOP_ORDER_QUEUE_URL") == (0, 0)
    (order,) = requests.get(f"{local_runtime.api_url}/orders", timeout=30).json()["orders"]
    assert order["status"] == "REJECTED" and order["symbol"] == "MSFT" and order["quantity"] == 0
    assert "target_weight" in order["reason"] and "as_of" in order["reason"]
    assert order["client_order_id"] == "signal:broken"


def _queue_counts(aws_env, env_name: str) -> tuple[int, int]:
    attrs = (
        aws_env["session"]
        .client("sqs")
        .get_queue_attributes(
            QueueUrl=aws_env["stack"][env_name],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    )
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def _send_raw(aws_env, body: str, group: str, dedup: str) -> None:
    aws_env["session"].client("sqs").send_message(
        QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
        MessageBody=body,
        MessageGroupId=group,
        MessageDeduplicationId=dedup,
    )


def _intent(symbol: str, tag: str, weight: float = 0.1) -> dict:
    return {
        "intent_id": f"poison-{tag}-{uuid.uuid4().hex[:8]}",
        "symbol": symbol,
        "target_weight": weight,
        "as_of": "2012-06-01T21:00:00Z",
    }


def test_poison_intent_blocks_no_other_symbol_and_is_stored_rejected_or_dead_lettered_alone(
    local_runtime, fresh_account, aws_env
) -> None:
    # Given one batch mixing good intents with bad ones: an invalid intent naming AAPL, an intent for
    # a symbol without market data, and a body that is not an intent at all (group MSFT)
    sqs = aws_env["session"].client("sqs")
    queue_url = aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"]
    dlq_url = aws_env["stack"]["TRADELOOP_ORDER_DLQ_URL"]
    _send_raw(aws_env, json.dumps({**_intent("AAPL", "bad"), "target_weight": 7}), "AAPL", "p1")
    good_aapl = _intent("AAPL", "good")
    _send_raw(aws_env, json.dumps(good_aapl), "AAPL", "p2")
    _send_raw(aws_env, json.dumps(_intent("GOOG", "good")), "GOOG", "p3")
    _send_raw(aws_env, json.dumps(_intent("ZZZZ", "unknown")), "ZZZZ", "p4")
    _send_raw(aws_env, json.dumps(_intent("IBM", "good")), "IBM", "p5")
    _send_raw(aws_env, "this is not an intent", "MSFT", "p6")
    _send_raw(aws_env, json.dumps(_intent("MSFT", "good")), "MSFT", "p7")

    # When the poller hands the batch to the order function (visibility 0: a failed record is back at once)
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "0"})
    try:
        assert local_runtime.poller.poll_once(wait_seconds=0) == 7

        # Then every other symbol traded: AAPL (behind its own bad intent), GOOG and IBM filled
        orders = requests.get(f"{local_runtime.api_url}/orders?limit=50", timeout=30).json()["orders"]
        by_symbol: dict[str, list[dict]] = {}
        for o in orders:
            by_symbol.setdefault(o["symbol"], []).append(o)
        assert sorted(o["status"] for o in by_symbol["AAPL"]) == ["FILLED", "REJECTED"], by_symbol.get("AAPL")
        assert [o["status"] for o in by_symbol["GOOG"]] == ["FILLED"]
        assert [o["status"] for o in by_symbol["IBM"]] == ["FILLED"]
        # And the bad intents that name a symbol are stored as REJECTED orders saying why
        (bad_aapl,) = [o for o in by_symbol["AAPL"] if o["status"] == "REJECTED"]
        assert "target_weight" in bad_aapl["reason"] and bad_aapl["quantity"] == 0
        (unknown,) = by_symbol["ZZZZ"]
        assert unknown["status"] == "REJECTED" and "unknown symbol" in unknown["reason"]
        # And only the unreadable body and the MSFT intent queued behind it (FIFO) are left
        assert "MSFT" not in by_symbol
        assert _queue_counts(aws_env, "TRADELOOP_ORDER_QUEUE_URL") == (2, 0)

        # When the unreadable body keeps failing until SQS gives up on it (maxReceiveCount)
        for _ in range(10):
            local_runtime.poller.poll_once(wait_seconds=0)
            if _queue_counts(aws_env, "TRADELOOP_ORDER_QUEUE_URL") == (0, 0):
                break
    finally:
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "10"})

    # Then it alone went to the DLQ, and the MSFT intent behind it filled
    dead = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert [m["Body"] for m in dead] == ["this is not an intent"]
    sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=dead[0]["ReceiptHandle"])
    msft = requests.get(f"{local_runtime.api_url}/orders?symbol=MSFT", timeout=30).json()["orders"]
    assert [o["status"] for o in msft] == ["FILLED"]
    # And a redelivery of the rejected intents changes nothing: still one order each
    _send_raw(aws_env, json.dumps(good_aapl), "AAPL", "p2-again")
    _drain(local_runtime)
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 6
