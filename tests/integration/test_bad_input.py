"""Bad input: 4xx with the error body naming the field and the fix, and nothing written."""

import base64
import json
from decimal import Decimal as D

import pytest
import requests

from tests.conftest import table_count
from tests.utils import money, order_body

GOOD = {"client_order_id": "bad-input-1", "symbol": "AAPL", "side": "BUY", "quantity": 1}
_IBM_KEY = {"symbol": "IBM", "as_of": "2012-06-01T21:00:00.000000Z"}


def _token(key: dict) -> str:
    """A next_token as the API encodes one, around a key the API never issued."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _without(key: str) -> dict:
    return {k: v for k, v in GOOD.items() if k != key}


CASES = [
    # (id, method, path, raw body, expected status, field named in details)
    ("malformed-json", "POST", "/orders", '{"symbol": "AAPL", ', 400, "body"),
    ("not-an-object", "POST", "/orders", json.dumps([GOOD, GOOD]), 422, "body"),
    ("empty-body", "POST", "/orders", "", 422, None),
    ("missing-field", "POST", "/orders", json.dumps(_without("quantity")), 422, "quantity"),
    ("missing-key", "POST", "/orders", json.dumps(_without("client_order_id")), 422, "client_order_id"),
    ("negative-quantity", "POST", "/orders", json.dumps({**GOOD, "quantity": -5}), 422, "quantity"),
    ("zero-quantity", "POST", "/orders", json.dumps({**GOOD, "quantity": 0}), 422, "quantity"),
    (
        "nan-quantity",
        "POST",
        "/orders",
        '{"client_order_id": "k", "symbol": "AAPL", "side": "BUY", "quantity": NaN}',
        422,
        "quantity",
    ),
    ("fractional-quantity", "POST", "/orders", json.dumps({**GOOD, "quantity": 1.5}), 422, "quantity"),
    ("string-quantity", "POST", "/orders", json.dumps({**GOOD, "quantity": "10"}), 422, "quantity"),
    ("client-fill-price", "POST", "/orders", json.dumps({**GOOD, "reference_price": 0.0001}), 422, "reference_price"),
    ("bad-side", "POST", "/orders", json.dumps({**GOOD, "side": "HOLD"}), 422, "side"),
    ("lowercase-symbol", "POST", "/orders", json.dumps({**GOOD, "symbol": "aapl"}), 422, "symbol"),
    ("limit-type", "POST", "/orders", json.dumps({**GOOD, "type": "limit"}), 422, "type"),
    ("unknown-field", "POST", "/orders", json.dumps({**GOOD, "leverage": 10}), 422, "leverage"),
    ("unknown-symbol", "POST", "/orders", json.dumps({**GOOD, "symbol": "ZZZZ"}), 422, "symbol"),
    (
        "reserved-intent-key",
        "POST",
        "/orders",
        json.dumps({**GOOD, "client_order_id": "signal:0b6c6f1e-intent"}),
        422,
        "client_order_id",
    ),
    ("oversized-body", "POST", "/orders", json.dumps({**GOOD, "pad": "x" * 70_000}), 413, "body"),
    ("unknown-route", "POST", "/order", json.dumps(GOOD), 404, "path"),
    ("wrong-method", "DELETE", "/orders", "", 405, "method"),
    ("bad-limit", "GET", "/orders?limit=0", "", 422, "limit"),
    ("bad-status", "GET", "/orders?status=DONE", "", 422, "status"),
    ("bad-token", "GET", "/orders?next_token=%21%21", "", 400, "next_token"),
    ("token-with-a-float", "GET", f"/orders?next_token={_token({'order_id': 1.5})}", "", 400, "next_token"),
    ("token-of-another-shape", "GET", f"/orders?next_token={_token({'a': 1})}", "", 400, "next_token"),
    (
        "token-of-another-account",
        "GET",
        f"/orders?next_token={_token({'order_id': 'x', 'account_id': 'someone-else', 'created_key': 'k'})}",
        "",
        400,
        "next_token",
    ),
    (
        "signals-token-of-another-symbol",
        "GET",
        f"/signals?symbol=AAPL&next_token={_token(_IBM_KEY)}",
        "",
        400,
        "next_token",
    ),
    (
        "signals-token-with-a-list",
        "GET",
        f"/signals?symbol=AAPL&next_token={_token({'symbol': 'AAPL', 'as_of': []})}",
        "",
        400,
        "next_token",
    ),
    ("nested-10000-deep-order", "POST", "/orders", "[" * 10_000 + "]" * 10_000, 400, "body"),
    ("nested-10000-deep-object", "PUT", "/controls", '{"a":' * 10_000 + "1" + "}" * 10_000, 400, "body"),
    ("nested-10000-deep-run", "POST", "/signals/run", '{"symbols":' + "[" * 10_000 + "]" * 10_000 + "}", 400, "body"),
    *[
        (
            f"notional-{v}",
            "PUT",
            "/controls",
            f'{{"limits": {{"max_order_notional": {v}}}}}',
            422,
            "limits.max_order_notional",
        )
        for v in ("1e200", "1e308", "1e-200", "0.001")
    ],
    (
        "weight-1e-200",
        "PUT",
        "/controls",
        '{"limits": {"max_position_weight": 1e-200}}',
        422,
        "limits.max_position_weight",
    ),
    (
        "exposure-1e-200",
        "PUT",
        "/controls",
        '{"limits": {"max_gross_exposure": "1e-200"}}',
        422,
        "limits.max_gross_exposure",
    ),
    (
        "bad-controls",
        "PUT",
        "/controls",
        json.dumps({"limits": {"max_position_weight": 3}}),
        422,
        "limits.max_position_weight",
    ),
    ("bad-history-range", "GET", "/portfolio/history?from=2013-02-01&to=2013-01-01", "", 422, "from"),
    ("history-before-1970", "GET", "/portfolio/history?from=0001-01-01", "", 422, "from"),
    ("history-far-future", "GET", "/portfolio/history?to=9999-12-31T23:59:59-12:00", "", 422, "to"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_4xx_with_error_body_and_nothing_written(
    local_api, fresh_account, aws_env, method, path, body, status, field
) -> None:
    # Given a fresh account
    before = requests.get(f"{local_api}/controls", timeout=30).json()
    # When the bad request is sent
    r = requests.request(
        method, f"{local_api}{path}", data=body.encode(), headers={"Content-Type": "application/json"}, timeout=60
    )
    # Then it is refused with the documented error body naming the field and a fix
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] and error["message"]
    if field is not None:
        assert any(d.get("field") == field and d.get("fix") for d in error["details"]), error
    # And nothing was written: no order, the same cash, the same controls
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 0
    assert money(requests.get(f"{local_api}/portfolio", timeout=30).json()["cash"]) == D("100000")
    assert requests.get(f"{local_api}/controls", timeout=30).json() == before


def test_valid_order_passes_the_same_checks(local_api, fresh_account) -> None:
    # The table above is only meaningful if its base request is itself accepted.
    assert requests.post(f"{local_api}/orders", json={**GOOD, **order_body()}, timeout=60).status_code == 201


def test_text_plain_body_400_in_the_error_shape_naming_the_header(local_api, fresh_account, aws_env) -> None:
    # When a JSON order is sent as text/plain
    r = requests.post(f"{local_api}/orders", data=json.dumps(GOOD), headers={"Content-Type": "text/plain"}, timeout=60)
    # Then 400 with the same error body as every other refusal (Powertools' own 415 had another shape),
    # saying which header to send
    assert r.status_code == 400, r.text
    (detail,) = r.json()["error"]["details"]
    assert detail["field"] == "content-type" and "application/json" in detail["fix"]
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 0


def test_wrong_method_405_lists_the_allowed_methods(local_api) -> None:
    # When a path is called with a method it does not have
    r = requests.delete(f"{local_api}/controls", timeout=30)
    # Then 405 with Allow naming the methods it has (RFC 9110)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, PUT"
