"""Builders shared by the suites."""

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
    r = requests.put(f"{api}/controls", data=json.dumps(body, default=str), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def notional(fill: dict[str, Any]) -> Decimal:
    """price x quantity rounded to the cent, as the broker books it."""
    return (money(fill["price"]) * fill["quantity"]).quantize(Decimal("0.01"))


def fill_cost(order: dict[str, Any]) -> Decimal:
    """Cash a filled BUY took: notional plus commission."""
    return sum((notional(f) + money(f["commission"]) for f in order["fills"]), Decimal(0))
