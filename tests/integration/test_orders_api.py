"""The order service through the local router, against moto server over HTTP."""

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from typing import Any

import pytest
import requests

from tests.conftest import table_count
from tests.utils import fill_cost, money, new_key, notional, order_body, post_order, set_controls
from tradeloop_common.layout import bars_key


def _latest_close(aws_env: dict[str, Any], symbol: str) -> D:
    """The last close the stack's data bucket holds (what the stack was seeded or fed with so far:
    the tests that run the daily pipeline append sessions)."""
    s3 = aws_env["session"].client("s3", endpoint_url=aws_env["endpoint_url"])
    bucket = aws_env["stack"]["TRADELOOP_DATA_BUCKET"]
    text = s3.get_object(Bucket=bucket, Key=bars_key(symbol))["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    return D(next(v for k, v in rows[-1].items() if k.lower() == "close"))


def _cents(value: D) -> D:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_post_order_201_fills_and_moves_cash(local_api, fresh_account, aws_env) -> None:
    # Given a fresh account with 100,000, and the latest AAPL close the data holds
    close = _latest_close(aws_env, "AAPL")
    price = (close * D("1.0005")).quantize(D("0.0001"), rounding=ROUND_HALF_UP)
    # When buying 10 AAPL
    r = post_order(local_api, order_body("AAPL", "BUY", 10))
    # Then it fills at the latest close plus 5 bps slippage, with a 1 bp commission
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "FILLED" and order["quantity"] == 10
    fill = order["fills"][0]
    assert money(fill["price"]) == price, f"latest close {close}"
    commission = _cents(price * 10 * D("0.0001"))
    assert money(fill["commission"]) == commission
    portfolio = requests.get(f"{local_api}/portfolio", timeout=30).json()
    assert money(portfolio["cash"]) == D("100000") - _cents(price * 10) - commission
    pos = requests.get(f"{local_api}/positions/AAPL", timeout=30).json()
    avg_cost = ((_cents(price * 10) + commission) / 10).quantize(D("0.0001"), rounding=ROUND_HALF_UP)
    assert pos["quantity"] == 10 and money(pos["avg_cost"]) == avg_cost
    assert requests.get(f"{local_api}/orders/{order['order_id']}", timeout=30).json() == order


def test_post_order_422_when_it_names_its_own_fill_price(local_api, fresh_account, aws_env) -> None:
    # Given a client that wants to buy 580 AAPL at a price of its choosing
    body = order_body("AAPL", "BUY", 580, reference_price=0.0001)
    # When the order is sent
    r = post_order(local_api, body)
    # Then it is refused naming the field and the fix: fill prices come from market data only
    assert r.status_code == 422, r.text
    (detail,) = r.json()["error"]["details"]
    assert detail["field"] == "reference_price" and "market data" in detail["fix"] and "remove" in detail["fix"]
    # And nothing was written: no order, the same cash
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 0
    assert money(requests.get(f"{local_api}/portfolio", timeout=30).json()["cash"]) == D("100000")


def test_same_client_order_id_twice_gives_one_order_and_the_same_response(local_api, fresh_account, aws_env) -> None:
    body = order_body("MSFT", "BUY", 5)
    first = post_order(local_api, body)
    second = post_order(local_api, body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 1
    cash = money(requests.get(f"{local_api}/portfolio", timeout=30).json()["cash"])
    assert cash == D("100000") - fill_cost(first.json())


def test_same_key_different_body_409_and_nothing_written(local_api, fresh_account, aws_env) -> None:
    body = order_body("MSFT", "BUY", 5)
    assert post_order(local_api, body).status_code == 201
    r = post_order(local_api, {**body, "quantity": 6})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["details"][0]["field"] == "client_order_id"
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 1


def test_20_racing_orders_never_overspend_and_sum_exactly(local_api, fresh_account, aws_env) -> None:
    # Given 40,000 cash, limits loose enough that only cash binds, and 20 orders of 10 AAPL (~4,300-4,700
    # each, as the latest close the data holds)
    fresh_account(D("40000"))
    set_controls(local_api, limits={"max_order_notional": 1e6, "max_position_weight": 1, "max_gross_exposure": 4})
    bodies = [order_body("AAPL", "BUY", 10) for _ in range(20)]

    # When all 20 are sent at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda b: post_order(local_api, b), bodies))

    # Then every one got an answer, cash never went negative and the books balance to the cent
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    orders = [r.json() for r in responses]
    filled = [o for o in orders if o["status"] == "FILLED"]
    rejected = [o for o in orders if o["status"] == "REJECTED"]
    costs = [fill_cost(o) for o in filled]
    cash = money(requests.get(f"{local_api}/portfolio", timeout=30).json()["cash"])
    assert cash >= 0
    assert cash == D("40000") - sum(costs)
    unit_cost = costs[0]
    affordable = int(D("40000") // unit_cost)
    assert 0 < affordable < 20  # the race decides something
    assert len(filled) == affordable  # exactly as many as the cash affords
    assert len(rejected) == 20 - affordable and all(o["reason"] for o in rejected)
    position = requests.get(f"{local_api}/positions/AAPL", timeout=30).json()
    assert position["quantity"] == 10 * len(filled)
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 20


def test_kill_switch_halted_rejects_and_stores_the_reason(local_api, fresh_account) -> None:
    set_controls(local_api, trading_state="HALTED", reason="test")
    r = post_order(local_api, order_body("IBM", "BUY", 1))
    assert r.status_code == 201 and r.json()["status"] == "REJECTED"
    assert "HALTED" in r.json()["reason"]
    listed = requests.get(f"{local_api}/orders", params={"status": "REJECTED"}, timeout=30).json()["orders"]
    assert [o["order_id"] for o in listed] == [r.json()["order_id"]]
    assert money(requests.get(f"{local_api}/portfolio", timeout=30).json()["cash"]) == D("100000")
    set_controls(local_api, trading_state="REDUCE_ONLY")
    assert post_order(local_api, order_body("IBM", "BUY", 1)).json()["status"] == "REJECTED"
    set_controls(local_api, trading_state="ACTIVE")
    assert post_order(local_api, order_body("IBM", "BUY", 1)).json()["status"] == "FILLED"


def test_sell_realizes_pnl_and_cannot_oversell(local_api, fresh_account) -> None:
    buy = post_order(local_api, order_body("GOOG", "BUY", 4)).json()
    sell = post_order(local_api, order_body("GOOG", "SELL", 3)).json()
    assert sell["status"] == "FILLED"
    over = post_order(local_api, order_body("GOOG", "SELL", 2)).json()
    assert over["status"] == "REJECTED" and "insufficient position" in over["reason"]
    pos = requests.get(f"{local_api}/positions/GOOG", timeout=30).json()
    b, s = buy["fills"][0], sell["fills"][0]
    basis = notional(b) + money(b["commission"])
    removed = (basis * 3 / 4).quantize(D("0.01"))
    expected_realized = notional(s) - money(s["commission"]) - removed
    assert pos["quantity"] == 1 and money(pos["realized_pnl"]) == expected_realized


def test_list_orders_newest_first_paginates_without_gaps(local_api, fresh_account) -> None:
    ids = [post_order(local_api, order_body("AAPL", "BUY", 1)).json()["order_id"] for _ in range(5)]
    seen, token = [], None
    while True:
        params = {"limit": 2, **({"next_token": token} if token else {})}
        page = requests.get(f"{local_api}/orders", params=params, timeout=30).json()
        seen += [o["order_id"] for o in page["orders"]]
        token = page["next_token"]
        if not token:
            break
    assert seen == list(reversed(ids))
    by_symbol = requests.get(f"{local_api}/orders", params={"symbol": "MSFT"}, timeout=30).json()
    assert by_symbol["orders"] == []


def test_controls_roundtrip_and_validation(local_api, fresh_account) -> None:
    got = set_controls(local_api, limits={"max_order_notional": 1234.5})
    assert money(got["limits"]["max_order_notional"]) == D("1234.5") and got["trading_state"] == "ACTIVE"
    assert requests.get(f"{local_api}/controls", timeout=30).json()["limits"] == got["limits"]
    bad = requests.put(f"{local_api}/controls", data=json.dumps({"trading_state": "PANIC"}), timeout=30)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "trading_state"
    assert requests.get(f"{local_api}/orders/{new_key()}", timeout=30).status_code == 422
    assert requests.get(f"{local_api}/orders/00000000-0000-0000-0000-000000000000", timeout=30).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "body"), ({"reason": "just checking"}, "body"), ({"limits": {}}, "limits")],
    ids=["empty", "reason-only", "empty-limits"],
)
def test_put_controls_422_when_it_asks_for_no_change(local_api, fresh_account, body, field) -> None:
    # Given controls written once
    before = set_controls(local_api, trading_state="REDUCE_ONLY")
    # When a PUT asks to change nothing
    r = requests.put(f"{local_api}/controls", json=body, timeout=30)
    # Then it is refused naming what to send, and the controls (and their version) are untouched
    assert r.status_code == 422, r.text
    assert any(d["field"] == field and "trading_state" in d["fix"] for d in r.json()["error"]["details"]), r.text
    assert requests.get(f"{local_api}/controls", timeout=30).json() == before


def test_put_controls_that_changes_nothing_is_200_and_writes_nothing(local_api, fresh_account) -> None:
    # Given controls written once
    before = set_controls(local_api, trading_state="REDUCE_ONLY", limits={"max_order_notional": 5000})
    # When the same state and limits are sent again
    again = set_controls(
        local_api, trading_state="REDUCE_ONLY", limits={"max_order_notional": 5000.0}, reason="re-apply"
    )
    # Then the answer is the controls as they are: same version, same updated_at (nothing was written)
    assert again == before
    assert requests.get(f"{local_api}/controls", timeout=30).json() == before
    # And a real change still writes and moves the version
    changed = set_controls(local_api, trading_state="ACTIVE")
    assert changed["version"] == before["version"] + 1


def test_post_order_201_when_quantity_is_a_whole_float(local_api, fresh_account) -> None:
    # JSON Schema counts 10.0 as an integer; a client serialising numbers as floats must not be refused
    r = post_order(local_api, order_body("AAPL", "BUY", 10.0))
    assert r.status_code == 201, r.text
    assert r.json()["quantity"] == 10
