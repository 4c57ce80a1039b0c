"""A local fake of Alpaca's trading API (v2): what the alpaca broker adapter calls, answered the way
Alpaca answers, plus controls a test (or a person) uses to play the market. Never a network call.

Served (``/v2``, keys in ``APCA-API-KEY-ID`` / ``APCA-API-SECRET-KEY``, else 401):
``POST /orders`` (a ``client_order_id`` it already holds is refused, 422 "client_order_id must be
unique", as Alpaca does), ``GET /orders`` (``status`` open|closed|all, ``limit``, ``symbols``,
``direction``), ``GET /orders/{id}``, ``GET /orders:by_client_order_id``, ``GET /positions``,
``GET /account``. Bodies are written by hand, field for field as Alpaca documents them, not with
alpaca-py: tests/unit/test_fake_alpaca.py parses every one with alpaca-py's own models and refuses
any field those models do not know, so a fake that drifts from the SDK fails there.

Controls (``/_fake``, no keys): ``POST /_fake/orders/<id or client_order_id>/fill`` ``{"qty",
"price", "at"?}`` executes part or all of an order (``accepted -> partially_filled -> filled``);
``POST .../end`` ``{"status": "canceled"|"expired"|"rejected"}``; ``POST /_fake/open``
``{"prices": {"IBM": "123.45"}, "at"?}`` fills every open order of those symbols in full;
``POST /_fake/positions/<symbol>`` ``{"qty", "price"?}`` plants shares the account never traded
(a difference for reconciliation); ``POST /_fake/cash`` ``{"delta"}``; ``POST /_fake/reset``
``{"cash"?}``; ``POST /_fake/fail`` ``{"submissions": N}`` answers the next N submissions 500 (an
outage); ``GET /_fake/submissions`` lists every order submission with the status it got. The fake
checks no buying power and knows no prices but those its controls give.

Start it with ``python -m tradeloop_local fake-alpaca --port 5055``, or in a test with
:func:`start_fake_alpaca`; point the order service at it with ``TRADELOOP_ALPACA_URL``.
"""

from __future__ import annotations

import argparse
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

DEFAULT_KEY_ID = "PKFAKE0000000000LOCAL"
DEFAULT_SECRET_KEY = "fake-alpaca-local-secret"
DEFAULT_CASH = Decimal("100000")
ACCOUNT_ID = uuid.UUID("5e1f4b0e-0000-4000-8000-00000000a1fa")
NAMESPACE = uuid.UUID("2f6b1c1e-6a8e-4d0e-9c3a-7d5e0f1a2b3c")
OPEN_STATUSES = {"new", "accepted", "pending_new", "partially_filled", "held"}
# Alpaca's own error codes, with its messages.
NOT_AUTHORIZED = (401, 40110000, "request is not authorized")
NOT_FOUND = (404, 40410000, "order not found")
NOT_UNIQUE = (422, 40010001, "client_order_id must be unique")
SERVER_ERROR = (500, 50010000, "internal server error")
EXCHANGES = {"AAPL": "NASDAQ", "GOOG": "NASDAQ", "MSFT": "NASDAQ"}  # the rest: NYSE


def _now() -> datetime:
    return datetime.now(UTC)


def _ts(when: datetime | None) -> str | None:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if when else None


def _num(value: Decimal) -> str:
    """Alpaca's decimal strings: no exponent, no trailing zeros past what the value needs."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class FakeOrder:
    id: str
    client_order_id: str
    symbol: str
    side: str
    qty: Decimal
    time_in_force: str
    created_at: datetime
    status: str = "accepted"
    filled_qty: Decimal = Decimal(0)
    filled_notional: Decimal = Decimal(0)  # sum of qty x price over the executions
    updated_at: datetime | None = None
    filled_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None
    failed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        avg = self.filled_notional / self.filled_qty if self.filled_qty else None
        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": _ts(self.created_at),
            "updated_at": _ts(self.updated_at or self.created_at),
            "submitted_at": _ts(self.created_at),
            "filled_at": _ts(self.filled_at),
            "expired_at": _ts(self.expired_at),
            "expires_at": None,
            "canceled_at": _ts(self.canceled_at),
            "failed_at": _ts(self.failed_at),
            "replaced_at": None,
            "replaced_by": None,
            "replaces": None,
            "asset_id": str(asset_id(self.symbol)),
            "symbol": self.symbol,
            "asset_class": "us_equity",
            "notional": None,
            "qty": _num(self.qty),
            "filled_qty": _num(self.filled_qty),
            "filled_avg_price": _num(avg.quantize(Decimal("0.000001"))) if avg is not None else None,
            "order_class": "simple",
            "order_type": "market",
            "type": "market",
            "side": self.side,
            "time_in_force": self.time_in_force,
            "limit_price": None,
            "stop_price": None,
            "status": self.status,
            "extended_hours": False,
            "legs": None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
            "position_intent": ("buy_to_open" if self.side == "buy" else "sell_to_close"),
        }


@dataclass
class FakePosition:
    qty: Decimal = Decimal(0)
    cost_basis: Decimal = Decimal(0)
    last_price: Decimal = Decimal(0)

    def to_json(self, symbol: str) -> dict[str, Any]:
        avg = self.cost_basis / self.qty if self.qty else Decimal(0)
        value = _cents(self.qty * self.last_price)
        unrealized = value - _cents(self.cost_basis)
        return {
            "asset_id": str(asset_id(symbol)),
            "symbol": symbol,
            "exchange": EXCHANGES.get(symbol, "NYSE"),
            "asset_class": "us_equity",
            "asset_marginable": True,
            "avg_entry_price": _num(avg.quantize(Decimal("0.000001"))),
            "qty": _num(self.qty),
            "qty_available": _num(self.qty),
            "side": "long" if self.qty >= 0 else "short",
            "market_value": _num(value),
            "cost_basis": _num(_cents(self.cost_basis)),
            "unrealized_pl": _num(unrealized),
            "unrealized_plpc": _num((unrealized / self.cost_basis).quantize(Decimal("0.0001")))
            if self.cost_basis
            else "0",
            "unrealized_intraday_pl": _num(unrealized),
            "unrealized_intraday_plpc": "0",
            "current_price": _num(self.last_price),
            "lastday_price": _num(self.last_price),
            "change_today": "0",
        }


def asset_id(symbol: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, symbol)


@dataclass
class FakeAlpaca:
    """The fake's state: one paper account, its orders and positions."""

    key_id: str = DEFAULT_KEY_ID
    secret_key: str = DEFAULT_SECRET_KEY
    cash: Decimal = DEFAULT_CASH
    orders: dict[str, FakeOrder] = field(default_factory=dict)
    by_client_id: dict[str, str] = field(default_factory=dict)
    positions: dict[str, FakePosition] = field(default_factory=dict)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    failing_submissions: int = 0  # the next N order submissions answer 500 (a broker outage)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def reset(self, cash: Decimal = DEFAULT_CASH) -> None:
        with self.lock:
            self.cash = cash
            self.orders.clear()
            self.by_client_id.clear()
            self.positions.clear()
            self.submissions.clear()
            self.failing_submissions = 0

    def find(self, ident: str) -> FakeOrder | None:
        return self.orders.get(ident) or self.orders.get(self.by_client_id.get(ident, ""))

    def execute(self, order: FakeOrder, qty: Decimal, price: Decimal, at: datetime) -> None:
        """One execution: the order, the position and the cash move together."""
        if order.status not in OPEN_STATUSES:
            raise ValueError(f"order {order.id} is {order.status}: nothing more can fill")
        if qty <= 0 or order.filled_qty + qty > order.qty:
            raise ValueError(f"cannot fill {qty} of order {order.id}: {order.filled_qty} of {order.qty} filled")
        sign = 1 if order.side == "buy" else -1
        order.filled_qty += qty
        order.filled_notional += qty * price
        order.status = "filled" if order.filled_qty == order.qty else "partially_filled"
        order.updated_at = at
        order.filled_at = at if order.status == "filled" else None
        position = self.positions.setdefault(order.symbol, FakePosition())
        if sign > 0:
            position.cost_basis += qty * price
        elif position.qty:
            position.cost_basis -= position.cost_basis * qty / position.qty
        position.qty += sign * qty
        position.last_price = price
        self.cash -= sign * _cents(qty * price)
        if not position.qty:
            del self.positions[order.symbol]

    def account_json(self) -> dict[str, Any]:
        long_value = sum((_cents(p.qty * p.last_price) for p in self.positions.values() if p.qty > 0), Decimal(0))
        short_value = sum((_cents(p.qty * p.last_price) for p in self.positions.values() if p.qty < 0), Decimal(0))
        equity = self.cash + long_value + short_value
        power = _num(max(self.cash, Decimal(0)))
        return {
            "id": str(ACCOUNT_ID),
            "account_number": "PA3FAKELOCAL",
            "status": "ACTIVE",
            "crypto_status": "ACTIVE",
            "currency": "USD",
            "buying_power": power,
            "regt_buying_power": power,
            "daytrading_buying_power": "0",
            "non_marginable_buying_power": power,
            "options_buying_power": power,
            "cash": _num(self.cash),
            "accrued_fees": "0",
            "pending_transfer_in": "0",
            "pending_transfer_out": "0",
            "portfolio_value": _num(equity),
            "pattern_day_trader": False,
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "created_at": "2024-01-02T14:30:00Z",
            "trade_suspended_by_user": False,
            "multiplier": "1",
            "shorting_enabled": False,
            "equity": _num(equity),
            "last_equity": _num(equity),
            "long_market_value": _num(long_value),
            "short_market_value": _num(short_value),
            "initial_margin": "0",
            "maintenance_margin": "0",
            "last_maintenance_margin": "0",
            "sma": "0",
            "daytrade_count": 0,
            "options_approved_level": 0,
            "options_trading_level": 0,
        }


def _error(spec: tuple[int, int, str], message: str | None = None) -> tuple[Response, int]:
    status, code, text = spec
    return jsonify({"code": code, "message": message or text}), status


def _decimal(value: Any, name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{name} is not a number: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"{name} is not a number: {value!r}")
    return amount


def _when(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(body["at"]).replace("Z", "+00:00")) if body.get("at") else _now()


def create_app(state: FakeAlpaca) -> Flask:  # noqa: C901  (an app factory: what is counted is its routes, each short)
    app = Flask("fake_alpaca")

    @app.before_request
    def authenticate() -> tuple[Response, int] | None:
        if not request.path.startswith("/v2/"):
            return None
        key, secret = request.headers.get("APCA-API-KEY-ID"), request.headers.get("APCA-API-SECRET-KEY")
        if (key, secret) != (state.key_id, state.secret_key):
            return _error(NOT_AUTHORIZED)
        return None

    # ---- the trading API -------------------------------------------------------------------------
    @app.post("/v2/orders")
    def submit_order() -> Any:
        body = request.get_json(silent=True) or {}
        client_id = str(body.get("client_order_id") or uuid.uuid4())
        with state.lock:
            if state.failing_submissions > 0:
                state.failing_submissions -= 1
                state.submissions.append({"client_order_id": client_id, "status": 500})
                return _error(SERVER_ERROR)
            if client_id in state.by_client_id:
                state.submissions.append({"client_order_id": client_id, "status": 422})
                return _error(NOT_UNIQUE)
            try:
                qty = _decimal(body.get("qty"), "qty")
            except ValueError as exc:
                return _error((422, 40010001, ""), str(exc))
            side, tif, kind = body.get("side"), body.get("time_in_force"), body.get("type")
            problems = [
                f"{name} is invalid: {value!r}"
                for name, value, allowed in (
                    ("side", side, {"buy", "sell"}),
                    ("time_in_force", tif, {"day", "gtc", "opg", "cls", "ioc", "fok"}),
                    ("type", kind, {"market"}),
                )
                if value not in allowed
            ]
            if problems or qty <= 0 or not body.get("symbol"):
                state.submissions.append({"client_order_id": client_id, "status": 422})
                return _error((422, 40010001, ""), "; ".join(problems) or "qty and symbol are required")
            held = state.positions.get(str(body["symbol"]))
            if side == "sell" and (held is None or held.qty < qty):
                state.submissions.append({"client_order_id": client_id, "status": 403})
                return _error((403, 40310000, ""), f"insufficient qty available for order (requested: {_num(qty)})")
            now = _now()
            order = FakeOrder(
                id=str(uuid.uuid4()),
                client_order_id=client_id,
                symbol=str(body["symbol"]),
                side=str(side),
                qty=qty,
                time_in_force=str(tif),
                created_at=now,
            )
            state.orders[order.id] = order
            state.by_client_id[client_id] = order.id
            state.submissions.append({"client_order_id": client_id, "status": 200})
            return jsonify(order.to_json())

    @app.get("/v2/orders")
    def list_orders() -> Any:
        status = request.args.get("status", "open")
        limit = min(int(request.args.get("limit", 50)), 500)
        symbols = {s for s in request.args.get("symbols", "").split(",") if s}
        with state.lock:
            chosen = [
                o
                for o in state.orders.values()
                if (status == "all" or (o.status in OPEN_STATUSES) == (status == "open"))
                and (not symbols or o.symbol in symbols)
            ]
            chosen.sort(key=lambda o: o.created_at, reverse=request.args.get("direction", "desc") == "desc")
            return jsonify([o.to_json() for o in chosen[:limit]])

    @app.get("/v2/orders/<order_id>")
    def get_order(order_id: str) -> Any:
        with state.lock:
            order = state.orders.get(order_id)
            return jsonify(order.to_json()) if order else _error(NOT_FOUND)

    @app.get("/v2/orders:by_client_order_id")
    def get_order_by_client_id() -> Any:
        with state.lock:
            order = state.orders.get(state.by_client_id.get(request.args.get("client_order_id", ""), ""))
            return jsonify(order.to_json()) if order else _error(NOT_FOUND)

    @app.get("/v2/positions")
    def list_positions() -> Any:
        with state.lock:
            return jsonify([p.to_json(s) for s, p in sorted(state.positions.items())])

    @app.get("/v2/account")
    def get_account() -> Any:
        with state.lock:
            return jsonify(state.account_json())

    # ---- controls --------------------------------------------------------------------------------
    @app.post("/_fake/orders/<ident>/fill")
    def fill(ident: str) -> Any:
        body = request.get_json(silent=True) or {}
        with state.lock:
            order = state.find(ident)
            if order is None:
                return _error(NOT_FOUND)
            try:
                qty = _decimal(body.get("qty", order.qty - order.filled_qty), "qty")
                state.execute(order, qty, _decimal(body["price"], "price"), _when(body))
            except (KeyError, ValueError) as exc:
                return jsonify({"error": str(exc)}), 409
            return jsonify(order.to_json())

    @app.post("/_fake/orders/<ident>/end")
    def end(ident: str) -> Any:
        body = request.get_json(silent=True) or {}
        status = body.get("status", "canceled")
        with state.lock:
            order = state.find(ident)
            if order is None:
                return _error(NOT_FOUND)
            if status not in ("canceled", "expired", "rejected") or order.status not in OPEN_STATUSES:
                return jsonify({"error": f"cannot end a {order.status} order as {status!r}"}), 409
            at = _when(body)
            order.status, order.updated_at = status, at
            setattr(order, {"canceled": "canceled_at", "expired": "expired_at", "rejected": "failed_at"}[status], at)
            return jsonify(order.to_json())

    @app.post("/_fake/open")
    def open_session() -> Any:
        body = request.get_json(silent=True) or {}
        prices = {s: _decimal(p, f"prices.{s}") for s, p in (body.get("prices") or {}).items()}
        at = _when(body)
        with state.lock:
            filled = []
            for order in sorted(state.orders.values(), key=lambda o: (o.side == "buy", o.created_at)):
                if order.status in OPEN_STATUSES and order.symbol in prices:
                    state.execute(order, order.qty - order.filled_qty, prices[order.symbol], at)
                    filled.append(order.to_json())
            return jsonify(filled)

    @app.post("/_fake/positions/<symbol>")
    def plant_position(symbol: str) -> Any:
        body = request.get_json(silent=True) or {}
        with state.lock:
            position = state.positions.setdefault(symbol, FakePosition())
            qty = _decimal(body.get("qty", 0), "qty")
            price = _decimal(body.get("price", position.last_price or 1), "price")
            position.qty += qty
            position.cost_basis += qty * price
            position.last_price = price
            return jsonify(position.to_json(symbol))

    @app.post("/_fake/cash")
    def plant_cash() -> Any:
        body = request.get_json(silent=True) or {}
        with state.lock:
            state.cash += _decimal(body.get("delta", 0), "delta")
            return jsonify(state.account_json())

    @app.post("/_fake/reset")
    def reset() -> Any:
        body = request.get_json(silent=True) or {}
        state.reset(_decimal(body.get("cash", DEFAULT_CASH), "cash"))
        return jsonify(state.account_json())

    @app.post("/_fake/fail")
    def fail_next() -> Any:
        body = request.get_json(silent=True) or {}
        with state.lock:
            state.failing_submissions = int(body.get("submissions", 1))
            return jsonify({"failing_submissions": state.failing_submissions})

    @app.get("/_fake/submissions")
    def submissions() -> Any:
        with state.lock:
            return jsonify(list(state.submissions))

    return app


@dataclass
class FakeAlpacaServer:
    """The fake served on 127.0.0.1 in a thread of this process (tests)."""

    state: FakeAlpaca
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def start_fake_alpaca(port: int = 0, state: FakeAlpaca | None = None) -> FakeAlpacaServer:
    state = state or FakeAlpaca()
    server = make_server("127.0.0.1", port, create_app(state), threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-alpaca", daemon=True
    )
    thread.start()
    return FakeAlpacaServer(state, server, thread)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tradeloop fake-alpaca", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--cash", default=str(DEFAULT_CASH), help="the account's opening cash")
    args = parser.parse_args(argv)
    state = FakeAlpaca(cash=Decimal(args.cash))
    print(
        f"fake Alpaca on http://127.0.0.1:{args.port}: TRADELOOP_BROKER=alpaca "
        f"TRADELOOP_ALPACA_URL=http://127.0.0.1:{args.port} APCA_API_KEY_ID={state.key_id} "
        f"APCA_API_SECRET_KEY={state.secret_key}",
        flush=True,
    )
    make_server("127.0.0.1", args.port, create_app(state), threaded=True).serve_forever()
    return 0
