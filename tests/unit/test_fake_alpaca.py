"""The local fake of Alpaca's trading API speaks alpaca-py's schema: every response type it serves
parses with the SDK's own models, names no field they do not know, and behaves as Alpaca does where
the adapter relies on it (a client_order_id is accepted once; executions move an order accepted ->
partially_filled -> filled, and the position and the cash with it)."""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

import pytest
import requests
from pydantic import BaseModel

from tradeloop_local.fake_alpaca import FakeAlpacaServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from alpaca.common.exceptions import APIError
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce
    from alpaca.trading.models import Order, Position, TradeAccount
    from alpaca.trading.requests import GetOrdersRequest, MarketOrderRequest


@pytest.fixture
def client(fake_alpaca: FakeAlpacaServer) -> TradingClient:
    requests.post(f"{fake_alpaca.url}/_fake/reset", json={}, timeout=10).raise_for_status()
    return TradingClient(
        fake_alpaca.state.key_id, fake_alpaca.state.secret_key, paper=True, url_override=fake_alpaca.url
    )


def _raw(fake_alpaca: FakeAlpacaServer, path: str, **params: Any) -> Any:
    r = requests.get(
        f"{fake_alpaca.url}/v2{path}",
        params=params,
        headers={"APCA-API-KEY-ID": fake_alpaca.state.key_id, "APCA-API-SECRET-KEY": fake_alpaca.state.secret_key},
        timeout=10,
    )
    r.raise_for_status()
    return r.json()


def _parses_strictly(model: type[BaseModel], body: dict[str, Any]) -> BaseModel:
    """The SDK model accepts the body, and the body has no field the model does not know (pydantic
    ignores unknown fields, so without this a fake could invent fields unnoticed)."""
    unknown = set(body) - set(model.model_fields)
    assert not unknown, f"{model.__name__} does not know {sorted(unknown)}"
    return model.model_validate(body) if model is not Order else Order(**body)


def _submit(client: TradingClient, symbol: str, qty: int, side: OrderSide, key: str) -> Any:
    request = MarketOrderRequest(symbol=symbol, qty=qty, side=side, time_in_force=TimeInForce.OPG, client_order_id=key)
    return client.submit_order(request)


def _control(fake_alpaca: FakeAlpacaServer, path: str, **body: Any) -> dict[str, Any]:
    r = requests.post(f"{fake_alpaca.url}/_fake{path}", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_every_response_type_parses_with_alpaca_py_models_naming_no_unknown_field(
    fake_alpaca: FakeAlpacaServer, client: TradingClient
) -> None:
    # Given an order in each state the adapter meets, and a position
    _submit(client, "IBM", 10, OrderSide.BUY, "k-filled")
    _submit(client, "MSFT", 10, OrderSide.BUY, "k-partial")
    _submit(client, "AAPL", 10, OrderSide.BUY, "k-open")
    _submit(client, "GOOG", 10, OrderSide.BUY, "k-canceled")
    _control(fake_alpaca, "/orders/k-filled/fill", qty=10, price="190.5", at="2012-06-04T13:30:00Z")
    _control(fake_alpaca, "/orders/k-partial/fill", qty=4, price="29.1")
    _control(fake_alpaca, "/orders/k-canceled/end", status="canceled")
    # When each response type is fetched raw / Then each parses with the SDK's model, field for field
    orders = _raw(fake_alpaca, "/orders", status="all", limit=500)
    assert {o["status"] for o in orders} == {"filled", "partially_filled", "accepted", "canceled"}
    for body in orders:
        parsed = _parses_strictly(Order, body)
        assert _parses_strictly(Order, _raw(fake_alpaca, f"/orders/{body['id']}")) == parsed
        by_client = _raw(fake_alpaca, "/orders:by_client_order_id", client_order_id=body["client_order_id"])
        assert _parses_strictly(Order, by_client) == parsed
    positions = _raw(fake_alpaca, "/positions")
    assert [p["symbol"] for p in positions] == ["IBM", "MSFT"]
    for body in positions:
        _parses_strictly(Position, body)
    _parses_strictly(TradeAccount, _raw(fake_alpaca, "/account"))
    # And through the SDK's own client, as the adapter calls it
    assert client.get_order_by_client_id("k-filled").status is OrderStatus.FILLED
    assert len(client.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN, limit=500))) == 2
    assert {p.symbol for p in client.get_all_positions()} == {"IBM", "MSFT"}
    assert Decimal(client.get_account().cash) == Decimal("100000") - Decimal("1905.00") - Decimal("116.40")


def test_error_bodies_parse_as_alpaca_py_api_errors(fake_alpaca: FakeAlpacaServer, client: TradingClient) -> None:
    # Given an unknown order, and keys the fake does not know
    stranger = TradingClient("PKWRONG", "wrong", paper=True, url_override=fake_alpaca.url)
    # When they are asked for / Then the SDK raises APIError with Alpaca's code, message and status
    for call, status, code in (
        (lambda: client.get_order_by_client_id("nobody"), 404, 40410000),
        (lambda: stranger.get_account(), 401, 40110000),
    ):
        with pytest.raises(APIError) as error:
            call()
        assert (error.value.status_code, error.value.code) == (status, code)
        assert error.value.message


def test_a_client_order_id_is_accepted_once(fake_alpaca: FakeAlpacaServer, client: TradingClient) -> None:
    # Given an order submitted with a client_order_id
    first = _submit(client, "IBM", 5, OrderSide.BUY, "once")
    # When the same client_order_id is submitted again
    with pytest.raises(APIError) as duplicate:
        _submit(client, "IBM", 5, OrderSide.BUY, "once")
    # Then Alpaca's 422 "client_order_id must be unique", and the fake still holds one order
    assert duplicate.value.status_code == 422 and "client_order_id must be unique" in duplicate.value.message
    assert [o.id for o in client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))] == [first.id]
    statuses = [s["status"] for s in requests.get(f"{fake_alpaca.url}/_fake/submissions", timeout=10).json()]
    assert statuses == [200, 422]


def test_executions_move_an_order_accepted_partially_filled_filled_with_position_and_cash(
    fake_alpaca: FakeAlpacaServer, client: TradingClient
) -> None:
    # Given a market-on-open buy of 10 IBM
    order = _submit(client, "IBM", 10, OrderSide.BUY, "steps")
    assert (order.status, order.time_in_force, order.filled_qty) == (OrderStatus.ACCEPTED, TimeInForce.OPG, "0")
    # When 4 execute at 100.10, then 6 at 100.20
    _control(fake_alpaca, "/orders/steps/fill", qty=4, price="100.10")
    partial = client.get_order_by_client_id("steps")
    _control(fake_alpaca, "/orders/steps/fill", qty=6, price="100.20")
    filled = client.get_order_by_client_id("steps")
    # Then partially_filled (no filled_at yet), then filled at the average price
    assert (partial.status, partial.filled_qty, partial.filled_at) == (OrderStatus.PARTIALLY_FILLED, "4", None)
    assert (filled.status, filled.filled_qty) == (OrderStatus.FILLED, "10")
    assert Decimal(filled.filled_avg_price) == Decimal("100.16") and filled.filled_at is not None
    # And one position of 10, cash less both executions, and nothing more can fill
    (position,) = client.get_all_positions()
    assert (position.symbol, position.qty) == ("IBM", "10")
    assert Decimal(client.get_account().cash) == Decimal("100000") - Decimal("400.40") - Decimal("601.20")
    assert (
        requests.post(f"{fake_alpaca.url}/_fake/orders/steps/fill", json={"qty": 1, "price": 1}, timeout=10).status_code
        == 409
    )


def test_a_planted_position_is_held_without_any_trade(fake_alpaca: FakeAlpacaServer, client: TradingClient) -> None:
    # Given an account that never traded / When 5 IBM are planted
    _control(fake_alpaca, "/positions/IBM", qty=5, price="100")
    # Then the broker holds them, with its cash untouched
    (position,) = client.get_all_positions()
    assert (position.symbol, position.qty, client.get_account().cash) == ("IBM", "5", "100000")
