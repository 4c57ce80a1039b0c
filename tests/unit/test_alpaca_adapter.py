"""The alpaca broker adapter (order_service.brokers.alpaca) against the local fake: alpaca-py's
models in, the order service's types out; a retried submission never doubles an order; refusals
and outages are told apart; paper only; and it runs where pandas is not installed, as in the
order function's package."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from order_service.brokers.alpaca import AlpacaBroker, alpaca_keys
from order_service.brokers.base import BrokerOrderStatus, BrokerUnavailableError
from tradeloop_common.errors import ConfigurationError
from tradeloop_common.models import Order, OrderStatus, Side, TimeInForce
from tradeloop_common.settings import Settings
from tradeloop_local.fake_alpaca import FakeAlpacaServer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _settings(fake_alpaca: FakeAlpacaServer, **extra: str) -> Settings:
    env = {
        "TRADELOOP_BROKER": "alpaca",
        "TRADELOOP_ALPACA_URL": fake_alpaca.url,
        "APCA_API_KEY_ID": fake_alpaca.state.key_id,
        "APCA_API_SECRET_KEY": fake_alpaca.state.secret_key,
        **extra,
    }
    return Settings.model_validate(env)


@pytest.fixture
def broker(fake_alpaca: FakeAlpacaServer) -> AlpacaBroker:
    requests.post(f"{fake_alpaca.url}/_fake/reset", json={}, timeout=10).raise_for_status()
    return AlpacaBroker.from_settings(_settings(fake_alpaca))


def _order(symbol: str = "IBM", side: Side = Side.BUY, quantity: int = 10, order_id: str = "") -> Order:
    now = datetime(2012, 6, 1, 21, tzinfo=UTC)
    return Order(
        order_id=order_id or f"00000000-0000-4000-8000-{abs(hash((symbol, side, quantity))) % 10**12:012d}",
        client_order_id="signal:t:IBM",
        account_id="paper",
        symbol=symbol,
        side=side,
        quantity=quantity,
        status=OrderStatus.PENDING,
        as_of=now,
        created_at=now,
        time_in_force=TimeInForce.OPG,
        broker="alpaca",
    )


def _control(fake_alpaca: FakeAlpacaServer, path: str, **body: Any) -> None:
    requests.post(f"{fake_alpaca.url}/_fake{path}", json=body, timeout=10).raise_for_status()


def test_a_submission_is_a_market_on_open_order_keyed_by_our_order_id(
    fake_alpaca: FakeAlpacaServer, broker: AlpacaBroker
) -> None:
    # Given a PENDING buy of 10 IBM / When it is submitted
    order = _order()
    at_broker = broker.submit(order)
    # Then Alpaca holds it under our order_id, market-on-open, in the service's own types
    assert (at_broker.client_order_id, at_broker.status, at_broker.quantity) == (
        order.order_id,
        BrokerOrderStatus.OPEN,
        10,
    )
    held = fake_alpaca.state.find(order.order_id)
    assert held is not None and (held.time_in_force, held.side, held.symbol) == ("opg", "buy", "IBM")


def test_a_second_submission_answers_the_order_alpaca_holds_never_a_second_one(
    fake_alpaca: FakeAlpacaServer, broker: AlpacaBroker
) -> None:
    # Given an order submitted once, then partly filled
    order = _order()
    first = broker.submit(order)
    _control(fake_alpaca, f"/orders/{order.order_id}/fill", qty=3, price="100")
    # When it is submitted again (a redelivered rebalance)
    again = broker.submit(order)
    # Then the same order comes back, as it stands, and Alpaca holds one
    assert again.broker_order_id == first.broker_order_id
    assert (again.status, again.filled_quantity, again.filled_avg_price) == (
        BrokerOrderStatus.PARTIALLY_FILLED,
        3,
        Decimal("100"),
    )
    assert len(fake_alpaca.state.orders) == 1
    assert [s["status"] for s in fake_alpaca.state.submissions] == [200, 422]


def test_a_refusal_comes_back_rejected_with_alpacas_reason(broker: AlpacaBroker) -> None:
    # Given nothing held / When a sell is submitted / Then REJECTED, in Alpaca's words, never kept by it
    refused = broker.submit(_order(side=Side.SELL))
    assert refused.status is BrokerOrderStatus.REJECTED and refused.broker_order_id is None
    assert refused.reason == "alpaca refused it: insufficient qty available for order (requested: 10)"


def test_an_outage_is_an_error_to_retry_not_a_refusal(fake_alpaca: FakeAlpacaServer, broker: AlpacaBroker) -> None:
    # Given Alpaca answering 500 / When an order is submitted / Then BrokerUnavailableError (503: retry)
    _control(fake_alpaca, "/fail", submissions=1)
    with pytest.raises(BrokerUnavailableError) as outage:
        broker.submit(_order())
    assert "500" in str(outage.value) and outage.value.status == 503
    # And nothing reaches the broker: unreachable is the same
    closed = AlpacaBroker.from_settings(_settings(fake_alpaca, TRADELOOP_ALPACA_URL="http://127.0.0.1:9"))
    with pytest.raises(BrokerUnavailableError):
        closed.get_order("x")


@pytest.mark.parametrize(
    ("end", "status"),
    [
        ("canceled", BrokerOrderStatus.CANCELED),
        ("expired", BrokerOrderStatus.EXPIRED),
        ("rejected", BrokerOrderStatus.REJECTED),
    ],
)
def test_an_order_that_ends_unfilled_says_how_and_when(
    fake_alpaca: FakeAlpacaServer, broker: AlpacaBroker, end: str, status: BrokerOrderStatus
) -> None:
    order = _order()
    broker.submit(order)
    _control(fake_alpaca, f"/orders/{order.order_id}/fill", qty=4, price="101.5")
    _control(fake_alpaca, f"/orders/{order.order_id}/end", status=end, at="2012-06-04T20:00:00Z")
    ended = broker.get_order(order.order_id)
    assert ended is not None and ended.status is status and ended.filled_quantity == 4
    assert ended.reason == f"alpaca: order {end} at 2012-06-04T20:00:00+00:00 after 4 of 10 filled"


def test_the_account_and_the_open_orders_convert(fake_alpaca: FakeAlpacaServer, broker: AlpacaBroker) -> None:
    # Given one filled buy, one open, and 5 MSFT planted
    filled, working = _order("IBM", quantity=10), _order("AAPL", quantity=7)
    broker.submit(filled)
    broker.submit(working)
    _control(fake_alpaca, f"/orders/{filled.order_id}/fill", qty=10, price="100")
    _control(fake_alpaca, "/positions/MSFT", qty=5, price="30")
    # When the account and the open orders are read
    account = broker.account()
    # Then cash and shares per symbol, and only the working order
    assert (account.cash, account.positions) == (Decimal("99000"), {"IBM": 10, "MSFT": 5})
    assert [o.client_order_id for o in broker.open_orders()] == [working.order_id]
    assert broker.get_order("unknown") is None


def test_alpacas_live_endpoint_is_refused(fake_alpaca: FakeAlpacaServer) -> None:
    with pytest.raises(ConfigurationError) as live:
        AlpacaBroker.from_settings(_settings(fake_alpaca, TRADELOOP_ALPACA_URL="https://api.alpaca.markets"))
    assert "paper endpoint only" in str(live.value)


def test_keys_missing_is_a_configuration_error_naming_the_settings() -> None:
    with pytest.raises(ConfigurationError) as missing:
        alpaca_keys(Settings.model_validate({"TRADELOOP_BROKER": "alpaca"}))
    assert "APCA_API_KEY_ID" in str(missing.value)


def test_the_adapter_runs_where_pandas_is_not_installed(fake_alpaca: FakeAlpacaServer) -> None:
    # Given a process where pandas cannot be imported (the order function's package leaves it out)
    _control(fake_alpaca, "/reset", cash="100000")
    code = f"""
import sys
sys.modules["pandas"] = None  # import pandas -> ImportError, as without the package
from order_service.brokers.alpaca import AlpacaBroker
from tradeloop_common.settings import Settings
import pandas
assert type(pandas).__name__ == "_PandasStandIn"
broker = AlpacaBroker.from_settings(Settings.model_validate({{
    "TRADELOOP_BROKER": "alpaca", "TRADELOOP_ALPACA_URL": "{fake_alpaca.url}",
    "APCA_API_KEY_ID": "{fake_alpaca.state.key_id}",
    "APCA_API_SECRET_KEY": "{fake_alpaca.state.secret_key}"}}))
print(broker.account().cash, broker.get_order("nobody"))
"""
    # When the adapter is imported and called / Then it trades through alpaca-py all the same
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["100000", "None"]
