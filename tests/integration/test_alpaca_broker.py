"""The alpaca broker end to end: the order function (in its worker process, with its Terraform role,
IAM enforced) configured with TRADELOOP_BROKER=alpaca against the local fake of Alpaca's trading
API. A rebalance's orders are submitted market-on-open under our order ids, once whatever the
redeliveries; the session-open step books what the broker filled, in one fill; reconciliation
compares the book with the broker's account and HALTs on a difference planted there; the keys come
from Secrets Manager only with the grant services.tf gives the order role."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.utils import money
from tradeloop_common.valuation import close_of
from tradeloop_local.fake_alpaca import FakeAlpacaServer
from tradeloop_local.lambda_pool import FunctionError, LambdaPool
from tradeloop_local.poller import sqs_event
from tradeloop_local.runtime import function_env
from tradeloop_local.scheduler import bars_ingested_event

FRI, MON, TUE = date(2012, 6, 1), date(2012, 6, 4), date(2012, 6, 5)
MON_OPEN = "2012-06-04T13:30:00Z"


def _alpaca_env(aws_env: dict[str, Any], fake: FakeAlpacaServer, **extra: str) -> dict[str, str]:
    env = function_env(aws_env["info"], "order")
    env.update(
        TRADELOOP_BROKER="alpaca",
        TRADELOOP_ALPACA_URL=fake.url,
        APCA_API_KEY_ID=fake.state.key_id,
        APCA_API_SECRET_KEY=fake.state.secret_key,
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def alpaca_order(aws_env: dict[str, Any], fake_alpaca: FakeAlpacaServer) -> Iterator[LambdaPool]:
    """One warm instance of the order function trading at the fake (keys from its environment)."""
    pool = LambdaPool("order", _alpaca_env(aws_env, fake_alpaca), concurrency=1)
    pool.warm()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def fresh(fresh_account: Callable[..., None], fake_alpaca: FakeAlpacaServer) -> FakeAlpacaServer:
    """Both sides open with 100,000 and hold nothing."""
    requests.post(f"{fake_alpaca.url}/_fake/reset", json={"cash": "100000"}, timeout=10).raise_for_status()
    return fake_alpaca


def _intent(session: date, targets: dict[str, float]) -> dict[str, Any]:
    return {
        "intent_id": f"alpaca-{uuid.uuid4().hex[:12]}",
        "session": session.isoformat(),
        "as_of": close_of(session).isoformat(),
        "targets": targets,
        "model_version": "v-test",
    }


def _deliver(pool: LambdaPool, intent: dict[str, Any]) -> dict[str, Any]:
    """One SQS delivery of the intent to the order function (a redelivery is the same call again)."""
    body = json.dumps(intent)
    now = str(int(time.time() * 1000))
    message = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": uuid.uuid4().hex,
        "Body": body,
        "MD5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's own checksum
        "Attributes": {
            "ApproximateReceiveCount": "1",
            "ApproximateFirstReceiveTimestamp": now,
            "SentTimestamp": now,
            "SenderId": "AROATRADELOOPSIGNAL",
            "MessageGroupId": "paper",
            "MessageDeduplicationId": intent["intent_id"],
            "SequenceNumber": now,
        },
    }
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:tradeloop-order-intents.fifo"
    return pool.invoke(sqs_event([message], queue_arn, "us-east-1"), timeout=120)


def _open(pool: LambdaPool, session: date) -> dict[str, Any]:
    return dict(pool.invoke(bars_ingested_event(session), timeout=120))


def _orders(api: str, **params: Any) -> list[dict[str, Any]]:
    return list(requests.get(f"{api}/orders", params={"limit": 500, **params}, timeout=30).json()["orders"])


def _control(fake: FakeAlpacaServer, path: str, **body: Any) -> Any:
    r = requests.post(f"{fake.url}/_fake{path}", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_partially_filled_then_filled_order_ends_with_one_position_and_one_ledger_entry(
    aws_env: dict[str, Any], alpaca_order: LambdaPool, local_api: str, fresh: FakeAlpacaServer
) -> None:
    # Given Friday's close decides 25 % of equity in IBM
    assert _deliver(alpaca_order, _intent(FRI, {"IBM": 0.25})) == {"batchItemFailures": []}
    # Then the order waits PENDING here, and Alpaca holds it market-on-open under our order id
    (order,) = _orders(local_api)
    at_broker = fresh.state.find(order["order_id"])
    assert order["status"] == "PENDING" and order["broker"] == "alpaca"
    assert at_broker is not None and (at_broker.time_in_force, at_broker.qty) == ("opg", order["quantity"])
    # When a third fills at Monday's open and the session-open step runs
    first = order["quantity"] // 3
    _control(fresh, f"/orders/{order['order_id']}/fill", qty=first, price="190.10", at=MON_OPEN)
    partly = _open(alpaca_order, MON)
    # Then the order stays PENDING, nothing is booked, and the book reconciles (the partial fill is left out)
    assert [o["status"] for o in partly["orders"]] == ["PENDING"]
    assert requests.get(f"{local_api}/portfolio", timeout=30).json()["positions"] == []
    assert partly["reconciliation"]["differences"] == [] and partly["reconciliation"]["broker"] == "alpaca"
    # When the rest fills and the step runs again
    _control(fresh, f"/orders/{order['order_id']}/fill", qty=order["quantity"] - first, price="190.20", at=MON_OPEN)
    done = _open(alpaca_order, MON)
    # Then ONE fill at Alpaca's average price for the whole quantity, no commission
    (filled,) = done["orders"]
    (fill,) = filled["fills"]
    average = (first * Decimal("190.10") + (order["quantity"] - first) * Decimal("190.20")) / order["quantity"]
    assert (filled["status"], fill["quantity"], money(fill["commission"])) == ("FILLED", order["quantity"], 0)
    assert abs(money(fill["price"]) - average) < Decimal("0.000001")
    assert filled["broker_order_id"] == at_broker.id and filled["price_source"] == "alpaca average fill price"
    # And one position, one ledger entry, cash as Alpaca has it: the book reconciles with the broker
    portfolio = requests.get(f"{local_api}/portfolio", timeout=30).json()
    assert [(p["symbol"], p["quantity"]) for p in portfolio["positions"]] == [("IBM", order["quantity"])]
    assert sum(len(o["fills"]) for o in _orders(local_api)) == 1
    assert money(portfolio["cash"]) == fresh.state.cash and money(portfolio["reserved"]) == 0
    assert done["reconciliation"]["differences"] == []
    # And a redelivered session-open event books nothing twice
    assert _open(alpaca_order, MON)["orders"] == []


def test_a_redelivered_or_retried_rebalance_submits_each_order_once(
    aws_env: dict[str, Any], alpaca_order: LambdaPool, local_api: str, fresh: FakeAlpacaServer
) -> None:
    intent = _intent(FRI, {"IBM": 0.2, "MSFT": 0.2})
    # Given Alpaca down for the first submission: the delivery stores both orders PENDING, then fails
    _control(fresh, "/fail", submissions=1)
    with pytest.raises(FunctionError) as failed:  # a batch whose every record failed: SQS delivers it again
        _deliver(alpaca_order, intent)
    assert "BrokerUnavailableError" in str(failed.value.payload["trace"])
    assert sorted(o["status"] for o in _orders(local_api)) == ["PENDING", "PENDING"]
    # When SQS delivers the intent again, and once more after that
    assert _deliver(alpaca_order, intent) == {"batchItemFailures": []}
    assert _deliver(alpaca_order, intent) == {"batchItemFailures": []}
    # Then Alpaca holds exactly one order per order id: refused as a duplicate on every later try
    orders = _orders(local_api)
    assert sorted(o.client_order_id for o in fresh.state.orders.values()) == sorted(o["order_id"] for o in orders)
    tries: dict[str, list[int]] = {}
    for s in fresh.state.submissions:
        tries.setdefault(s["client_order_id"], []).append(s["status"])
    assert sorted(tries.values()) == sorted([[500, 200, 422], [200, 422]])
    # And the book reserved each order once
    portfolio = requests.get(f"{local_api}/portfolio", timeout=30).json()
    assert money(portfolio["reserved"]) == sum(money(o["reserved"]) for o in orders)


def test_reconciliation_finds_a_difference_planted_in_the_broker_and_halts_above_the_threshold(
    aws_env: dict[str, Any], alpaca_order: LambdaPool, local_api: str, fresh: FakeAlpacaServer
) -> None:
    _deliver(alpaca_order, _intent(FRI, {"IBM": 0.25}))
    (order,) = _orders(local_api)
    _control(fresh, "/open", prices={"IBM": "190.00"}, at=MON_OPEN)
    assert _open(alpaca_order, MON)["reconciliation"]["differences"] == []
    # Given 50 cents at the broker that no trade explains (under the 1.00 threshold)
    _control(fresh, "/cash", delta="0.50")
    small = _open(alpaca_order, TUE)["reconciliation"]
    # Then it is found and stored, and trading goes on
    assert [(d["what"], money(d["theirs"]) - money(d["ours"])) for d in small["differences"]] == [
        ("cash", Decimal("0.50"))
    ]
    assert small["halted"] is False
    assert requests.get(f"{local_api}/controls", timeout=30).json()["trading_state"] == "ACTIVE"
    # Given 5 IBM more at the broker than the book holds
    _control(fresh, "/positions/IBM", qty=5, price="190")
    result = _open(alpaca_order, TUE)["reconciliation"]
    # Then the position difference is found, stored, and the kill switch is HALTED by it
    position = next(d for d in result["differences"] if d["what"] == "position:IBM")
    assert (position["ours"], position["theirs"]) == (order["quantity"], order["quantity"] + 5)
    assert result["halted"] is True
    assert requests.get(f"{local_api}/controls", timeout=30).json()["trading_state"] == "HALTED"


def test_manual_orders_are_refused_when_the_broker_executes_the_orders(
    alpaca_order: LambdaPool, fresh: FakeAlpacaServer
) -> None:
    from tests.utils import http_event

    # Given the alpaca broker / When a manual order is posted
    event = http_event("POST", "/orders", {"client_order_id": "m-1", "symbol": "IBM", "side": "BUY", "quantity": 1})
    response = alpaca_order.invoke(event)
    # Then 422 saying why, and nothing reaches Alpaca
    assert response["statusCode"] == 422 and "paper broker only" in response["body"]
    assert fresh.state.orders == {}


def test_the_keys_come_from_secrets_manager_only_with_the_order_roles_grant(
    aws_env: dict[str, Any], fresh: FakeAlpacaServer, local_api: str, order_role_policy: Callable[..., None]
) -> None:
    # Given the keys in a secret, and an order function told its ARN (no keys in its environment)
    secrets = aws_env["session"].client("secretsmanager")
    arn = secrets.create_secret(
        Name=f"tradeloop-alpaca-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps({"key_id": fresh.state.key_id, "secret_key": fresh.state.secret_key}),
    )["ARN"]
    other = secrets.create_secret(Name=f"other-{uuid.uuid4().hex[:8]}", SecretString="{}")["ARN"]
    env = _alpaca_env(aws_env, fresh, TRADELOOP_ALPACA_SECRET_ARN=arn)
    env.pop("APCA_API_KEY_ID")
    env.pop("APCA_API_SECRET_KEY")
    pool = LambdaPool("order", env, concurrency=1)
    try:
        # When a rebalance runs with the order role as Terraform made it locally (no secret given)
        with pytest.raises(FunctionError) as denied:
            _deliver(pool, _intent(FRI, {"IBM": 0.1}))
        # Then reading the secret is denied, naming the action and the secret
        assert "AccessDenied" in str(denied.value) and "secretsmanager:GetSecretValue" in str(denied.value), (
            denied.value
        )
        assert fresh.state.submissions == []
        # When the role gets services.tf's grant (GetSecretValue on that one secret) and SQS delivers again
        order_role_policy(
            lambda statements: [
                *statements,
                {
                    "Sid": "AlpacaKeysRead",
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [arn],
                },
            ]
        )
        result = _deliver(pool, _intent(FRI, {"IBM": 0.1}))
        # Then the order reaches Alpaca with those keys (the fake refuses any others)
        assert result == {"batchItemFailures": []}
        assert [s["status"] for s in fresh.state.submissions] == [200]
        # And the grant names that secret only: another one stays out of reach of the order role
        role = {k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
        import boto3
        from botocore.exceptions import ClientError

        as_order = boto3.session.Session(**{k.lower(): v for k, v in role.items()}, region_name="us-east-1")
        with pytest.raises(ClientError) as out_of_reach:
            as_order.client("secretsmanager", endpoint_url=aws_env["endpoint_url"]).get_secret_value(SecretId=other)
        assert out_of_reach.value.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied")
    finally:
        pool.close()
        secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
        secrets.delete_secret(SecretId=other, ForceDeleteWithoutRecovery=True)
