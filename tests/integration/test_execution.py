"""Execution as a broker does it, through the real queue, order function and emulator (IAM enforced):
a session's rebalance leaves market-on-open orders PENDING, reserving buying power; they fill at
the next session's official open, never at the close they were decided at; what was rejected is
retried by the next session's rebalance; HALTED sends nothing and cancels what waits; the book is
reconciled against the ledger every session."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
from signal_fixtures import drain_queue

from tests.utils import money, order_body, post_order, set_controls
from tradeloop_common.calendar import get_calendar
from tradeloop_common.dal.bars import parse_bars
from tradeloop_common.layout import bars_key
from tradeloop_common.valuation import close_of
from tradeloop_local.scheduler import bars_ingested_event, scheduled_event

FRI, MON, TUE = date(2012, 6, 1), date(2012, 6, 4), date(2012, 6, 5)


def _bars(aws_env: dict[str, Any], symbol: str) -> Any:
    body = (
        aws_env["session"]
        .client("s3")
        .get_object(Bucket=aws_env["stack"]["TRADELOOP_DATA_BUCKET"], Key=bars_key(symbol))["Body"]
        .read()
        .decode()
    )
    return parse_bars(symbol, body)


def _rebalance(aws_env: dict[str, Any], local_runtime: Any, session: date, targets: dict[str, float]) -> str:
    """Send a session's rebalance intent as the signal service does, and let the order function take it."""
    intent_id = f"test-{uuid.uuid4().hex[:12]}"
    intent = {
        "intent_id": intent_id,
        "session": session.isoformat(),
        "as_of": close_of(session).isoformat(),
        "targets": targets,
        "model_version": "v-test",
    }
    aws_env["session"].client("sqs").send_message(
        QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
        MessageBody=json.dumps(intent),
        MessageGroupId="paper",
        MessageDeduplicationId=intent_id,
    )
    drain_queue(local_runtime)
    return intent_id


def _open(local_runtime: Any, session: date) -> dict[str, Any]:
    return dict(local_runtime.pools["order"].invoke(bars_ingested_event(session), timeout=120))


def _orders(api: str, **params: Any) -> list[dict[str, Any]]:
    return list(requests.get(f"{api}/orders", params={"limit": 500, **params}, timeout=30).json()["orders"])


def test_an_order_decided_after_the_close_fills_at_the_next_open_never_at_that_close(
    aws_env: dict[str, Any], local_runtime: Any, local_api: str, fresh_account: Callable[..., None]
) -> None:
    ibm = _bars(aws_env, "IBM")
    # Given the close of Friday 2012-06-01 decides 25 % of equity in IBM
    _rebalance(aws_env, local_runtime, FRI, {"IBM": 0.25})
    # Then the order waits, market-on-open for Monday's session, reserving its cost from the buying power
    (order,) = _orders(local_api)
    assert (order["status"], order["session"], order["time_in_force"]) == ("PENDING", MON.isoformat(), "opg")
    assert order["quantity"] == int(
        Decimal("0.25") * Decimal("100000") * Decimal("0.98") / ibm.close[ibm.dates.index(FRI)]
    )
    portfolio = requests.get(f"{local_api}/portfolio", timeout=30).json()
    assert money(portfolio["cash"]) == Decimal("100000") and portfolio["positions"] == []
    assert money(portfolio["reserved"]) == money(order["reserved"]) > 0
    assert money(portfolio["buying_power"]) == Decimal("100000") - money(order["reserved"])
    # When the pipeline says Friday's bars are in, nothing fills: Friday's close is not a price it may take
    assert _open(local_runtime, FRI)["orders"] == []
    # When Monday's bars are in
    opened = _open(local_runtime, MON)
    # Then it fills at Monday's official open plus slippage, at 09:30 New York time
    (filled,) = opened["orders"]
    fill = filled["fills"][0]
    expected = (ibm.open[ibm.dates.index(MON)] * Decimal("1.0005")).quantize(Decimal("0.0001"))
    assert (filled["status"], money(fill["price"]), filled["price_source"]) == ("FILLED", expected, "open 2012-06-04")
    assert money(fill["price"]) != (ibm.close[ibm.dates.index(FRI)] * Decimal("1.0005")).quantize(Decimal("0.0001"))
    assert fill["filled_at"].startswith("2012-06-04T13:30:00")
    # And the reservation is released: cash paid the real cost, nothing stays reserved, the books reconcile
    after = requests.get(f"{local_api}/portfolio", timeout=30).json()
    cost = (money(fill["price"]) * fill["quantity"]).quantize(Decimal("0.01")) + money(fill["commission"])
    assert money(after["cash"]) == Decimal("100000") - cost == money(after["buying_power"])
    assert money(after["reserved"]) == 0
    assert opened["reconciliation"]["differences"] == []
    # And a second delivery of the same event books nothing twice
    assert _open(local_runtime, MON)["orders"] == []
    assert len(_orders(local_api, status="FILLED")) == 1


def test_a_rejected_buy_is_retried_next_session_and_reaches_target(
    aws_env: dict[str, Any], local_runtime: Any, local_api: str, fresh_account: Callable[..., None]
) -> None:
    # Given a position limit that 25 % in IBM breaks
    set_controls(local_api, limits={"max_position_weight": 0.1}, reason="test")
    _rebalance(aws_env, local_runtime, FRI, {"IBM": 0.25})
    (rejected,) = _orders(local_api)
    assert rejected["status"] == "REJECTED" and "max_position_weight" in rejected["reason"]
    assert _open(local_runtime, MON)["orders"] == []
    # When the limit is raised and Monday's close decides the same target
    set_controls(local_api, limits={"max_position_weight": 0.5}, reason="test")
    _rebalance(aws_env, local_runtime, MON, {"IBM": 0.25})
    snapshot = _open(local_runtime, TUE)["snapshot"]
    # Then the buy is placed again and fills at Tuesday's open, and at Tuesday's close IBM is at its
    # target (less the cash buffer) within the band
    (filled,) = _orders(local_api, status="FILLED")
    assert filled["session"] == TUE.isoformat() and filled["side"] == "BUY"
    ibm = _bars(aws_env, "IBM")
    weight = filled["quantity"] * ibm.close[ibm.dates.index(TUE)] / money(snapshot["equity"])
    assert abs(weight - Decimal("0.25") * Decimal("0.98")) < Decimal("0.01")


def test_halted_sends_nothing_and_cancels_what_waits(
    aws_env: dict[str, Any], local_runtime: Any, local_api: str, fresh_account: Callable[..., None]
) -> None:
    # Given an order waiting for Monday's open
    _rebalance(aws_env, local_runtime, FRI, {"MSFT": 0.2})
    assert [o["status"] for o in _orders(local_api)] == ["PENDING"]
    # When the kill switch is HALTED before the open
    set_controls(local_api, trading_state="HALTED", reason="test")
    opened = _open(local_runtime, MON)
    # Then it is cancelled, saying why, and its reservation comes back
    (cancelled,) = opened["orders"]
    assert cancelled["status"] == "CANCELLED" and "HALTED" in cancelled["reason"]
    portfolio = requests.get(f"{local_api}/portfolio", timeout=30).json()
    assert money(portfolio["buying_power"]) == money(portfolio["cash"]) == Decimal("100000")
    # And the signal job, run at Monday's close, writes its signals but sends no rebalance
    drain_queue(local_runtime)
    report = local_runtime.pools["signal"].invoke(scheduled_event(close_of(MON)), timeout=120)
    assert report["intents"] == [] and "HALTED" in report["skipped"]
    assert len(report["signals"]) > 0
    assert drain_queue(local_runtime) == 0 and len(_orders(local_api)) == 1


def test_buying_power_held_for_pending_buys_is_not_spent_by_a_manual_order(
    aws_env: dict[str, Any], local_runtime: Any, local_api: str, fresh_account: Callable[..., None]
) -> None:
    # Given exposure limits wide open, and two pending buys holding most of the cash
    set_controls(local_api, limits={"max_gross_exposure": 4, "max_position_weight": 1}, reason="test")
    _rebalance(aws_env, local_runtime, FRI, {"IBM": 0.45, "MSFT": 0.45})
    portfolio = requests.get(f"{local_api}/portfolio", timeout=30).json()
    assert money(portfolio["buying_power"]) < Decimal("15000")
    # When a manual buy asks for 20,000 of AAPL
    r = post_order(local_api, order_body("AAPL", "BUY", 40))
    # Then it is rejected for want of cash, and the pending orders still have theirs
    assert r.status_code == 201 and r.json()["status"] == "REJECTED" and "cash" in r.json()["reason"]
    assert money(requests.get(f"{local_api}/portfolio", timeout=30).json()["reserved"]) == money(portfolio["reserved"])


def test_a_redelivered_rebalance_places_each_order_once(
    aws_env: dict[str, Any], local_runtime: Any, local_api: str, fresh_account: Callable[..., None]
) -> None:
    # Given a rebalance intent delivered twice (SQS is at least once; the dedup window may have passed)
    intent_id = _rebalance(aws_env, local_runtime, FRI, {"IBM": 0.2, "GOOG": 0.2})
    intent = {
        "intent_id": intent_id,
        "session": FRI.isoformat(),
        "as_of": close_of(FRI).isoformat(),
        "targets": {"IBM": 0.2, "GOOG": 0.2},
        "model_version": "v-test",
    }
    aws_env["session"].client("sqs").send_message(
        QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
        MessageBody=json.dumps(intent),
        MessageGroupId="paper",
        MessageDeduplicationId=f"{intent_id}-again",
    )
    drain_queue(local_runtime)
    # Then two orders, not four, and each reserved once
    orders = _orders(local_api)
    assert sorted(o["symbol"] for o in orders) == ["GOOG", "IBM"]
    portfolio = requests.get(f"{local_api}/portfolio", timeout=30).json()
    assert money(portfolio["reserved"]) == sum(money(o["reserved"]) for o in orders)


def test_reconciliation_finds_a_difference_planted_in_the_book_and_halts(
    aws_env: dict[str, Any], local_runtime: Any, local_api: str, fresh_account: Callable[..., None]
) -> None:
    _rebalance(aws_env, local_runtime, FRI, {"IBM": 0.25})
    _open(local_runtime, MON)
    # Given a position that no fill explains (5 shares more than the ledger holds)
    aws_env["session"].client("dynamodb").update_item(
        TableName=aws_env["stack"]["TRADELOOP_ACCOUNTS_TABLE"],
        Key={"account_id": {"S": "paper"}, "item": {"S": "POS#IBM"}},
        UpdateExpression="ADD quantity :five",
        ExpressionAttributeValues={":five": {"N": "5"}},
    )
    # When the next session is reconciled
    result = _open(local_runtime, TUE)["reconciliation"]
    # Then the difference is found and stored, and the kill switch is HALTED by it
    (difference,) = result["differences"]
    assert difference["what"] == "position:IBM" and difference["ours"] - difference["theirs"] == 5
    assert result["halted"] is True
    assert requests.get(f"{local_api}/controls", timeout=30).json()["trading_state"] == "HALTED"


@pytest.mark.parametrize("day", [date(2024, 7, 4), date(2024, 7, 6)])
def test_the_trade_session_of_a_decision_is_the_next_open(day: date) -> None:
    # A decision taken on a holiday or a Saturday trades at the next session's open (2024-07-05 / -08)
    calendar = get_calendar()
    assert calendar.local_date(calendar.next_open(close_of(day))) == calendar.next_session(day)
