"""Builders shared by the suites, and `loud`, the one way a test prints past pytest's capture."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

import requests

_ids = itertools.count(1)


def new_key(prefix: str = "t") -> str:
    return f"{prefix}-{next(_ids)}-{__import__('uuid').uuid4().hex[:8]}"


def order_body(symbol: str = "AAPL", side: str = "BUY", quantity: int = 10, **extra: Any) -> dict[str, Any]:
    return {
        "client_order_id": extra.pop("client_order_id", new_key()),
        "symbol": symbol,
        "side": side,
        "quantity": quantity,
        **extra,
    }


def post_order(api: str, body: dict[str, Any] | str | bytes, **kw: Any) -> requests.Response:
    if isinstance(body, dict | list):
        return requests.post(f"{api}/orders", json=body, timeout=60, **kw)
    return requests.post(f"{api}/orders", data=body, headers={"Content-Type": "application/json"}, timeout=60, **kw)


def money(value: Any) -> Decimal:
    """JSON number -> exact Decimal (every amount has < 15 significant digits)."""
    return Decimal(str(value))


def set_controls(api: str, **body: Any) -> dict[str, Any]:
    """PUT /controls (with a reason unless given: resuming needs one)."""
    body.setdefault("reason", "test")
    r = requests.put(f"{api}/controls", data=json.dumps(body, default=str), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def notional(fill: dict[str, Any]) -> Decimal:
    """price x quantity rounded to the cent, as the broker books it."""
    return (money(fill["price"]) * fill["quantity"]).quantize(Decimal("0.01"))


def fill_cost(order: dict[str, Any]) -> Decimal:
    """Cash a filled BUY took: notional plus commission."""
    return sum((notional(f) + money(f["commission"]) for f in order["fills"]), Decimal(0))


def http_event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API v2.0 event, as the router (or API Gateway) hands it to a handler."""
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json", **(headers or {})},
        "queryStringParameters": query,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "test",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
            "requestId": new_key("req"),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "body": text,
        "isBase64Encoded": False,
    }


class LambdaContextStub:
    """The attributes Powertools reads from a Lambda context."""

    function_name = "tradeloop-test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:tradeloop-test"
    memory_limit_in_mb = 128
    log_group_name = "/aws/lambda/tradeloop-test"
    log_stream_name = "test"

    def __init__(self) -> None:
        self.aws_request_id = new_key("req")

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


_pytest_config: Any = None


def remember_config(config: Any) -> None:
    """Called by tests/conftest.py's pytest_configure, so `loud` can reach the capture manager."""
    global _pytest_config
    _pytest_config = config


def loud(line: str) -> None:
    """Print one line on the terminal even while pytest captures output (fd-level included):
    measured figures, and the one `SKIPPED: <why>` line a test prints before it skips."""
    import sys

    capman = _pytest_config.pluginmanager.getplugin("capturemanager") if _pytest_config else None
    if capman is None:
        print(line, file=sys.stderr, flush=True)
        return
    with capman.global_and_fixture_disabled():
        print(line, file=sys.stderr, flush=True)
