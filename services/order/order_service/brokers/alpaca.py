"""The alpaca broker: Alpaca's paper-trading API through the official SDK (alpaca-py). Its models
are converted to the order service's (base.py) here and nowhere else.

- submit: a market-on-open order (``time_in_force=opg``) with our ``order_id`` as Alpaca's
  ``client_order_id``. Alpaca refuses a second order with the same ``client_order_id`` (422), so
  a retried or redelivered rebalance cannot double it: the order Alpaca already holds is answered
  instead. Any other 403/422 is a refusal (e.g. insufficient buying power), with Alpaca's message.
- Keys: ``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY`` (Alpaca's own names, as the market-data
  service reads them), else the Secrets Manager secret ``TRADELOOP_ALPACA_SECRET_ARN`` (JSON
  ``key_id``, ``secret_key``; AWS); read on the first call, so the routes that never trade never
  need them.
- Paper only: the SDK is built with ``paper=True``, and a URL override naming Alpaca's live host
  is refused at start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from urllib.parse import urlparse

from requests import RequestException

from order_service.brokers import sdk
from order_service.brokers.base import Broker, BrokerAccount, BrokerOrder, BrokerOrderStatus, BrokerUnavailableError
from tradeloop_common.dal.secrets import secret_json
from tradeloop_common.errors import ConfigurationError
from tradeloop_common.models import Order, Side
from tradeloop_common.observability import logger
from tradeloop_common.settings import Settings

T = TypeVar("T")

LIVE_HOST = "api.alpaca.markets"
# Alpaca's answers that refuse an order (not a failure to retry): 403 e.g. insufficient buying
# power, 422 e.g. an asset that is not tradable.
REFUSALS = (403, 422)
MAX_LISTED = 500  # Alpaca's largest page of orders

_STATUS = {
    sdk.OrderStatus.PARTIALLY_FILLED: BrokerOrderStatus.PARTIALLY_FILLED,
    sdk.OrderStatus.FILLED: BrokerOrderStatus.FILLED,
    sdk.OrderStatus.CANCELED: BrokerOrderStatus.CANCELED,
    sdk.OrderStatus.EXPIRED: BrokerOrderStatus.EXPIRED,
    sdk.OrderStatus.REJECTED: BrokerOrderStatus.REJECTED,
    # We never replace an order: one replaced (by hand, at Alpaca) is no longer ours to fill.
    sdk.OrderStatus.REPLACED: BrokerOrderStatus.CANCELED,
}  # every other status (new, accepted, pending_new, held, done_for_day, ...) is still open


def alpaca_keys(settings: Settings) -> tuple[str, str]:
    """Alpaca's own variables (as the market-data service reads them) win, else the secret."""
    key_id, secret_key = settings.alpaca_key_id, settings.alpaca_secret_key
    if not (key_id and secret_key) and settings.alpaca_secret_arn:
        secret = secret_json(settings.alpaca_secret_arn)
        key_id, secret_key = str(secret.get("key_id", "")), str(secret.get("secret_key", ""))
    if not (key_id and secret_key):
        raise ConfigurationError(
            "TRADELOOP_BROKER=alpaca needs Alpaca paper-trading keys: set APCA_API_KEY_ID and APCA_API_SECRET_KEY, "
            'or TRADELOOP_ALPACA_SECRET_ARN naming a secret holding {"key_id": ..., "secret_key": ...}'
        )
    return key_id, secret_key


class AlpacaBroker(Broker):
    name = "alpaca"
    executes_orders = True

    def __init__(self, connect: Callable[[], sdk.TradingClient]) -> None:
        self._connect = connect
        self._client: sdk.TradingClient | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AlpacaBroker:
        url = settings.alpaca_url or None
        if url and (urlparse(url).hostname or "").lower() == LIVE_HOST:
            raise ConfigurationError(
                f"TRADELOOP_ALPACA_URL={url} is Alpaca's live endpoint: tradeloop trades the paper endpoint only"
            )

        def connect() -> sdk.TradingClient:
            key_id, secret_key = alpaca_keys(settings)
            return sdk.TradingClient(api_key=key_id, secret_key=secret_key, paper=True, url_override=url)

        return cls(connect)

    @property
    def client(self) -> sdk.TradingClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    # ---- orders ----------------------------------------------------------------------------------
    def submit(self, order: Order) -> BrokerOrder:
        request = sdk.MarketOrderRequest(
            symbol=order.symbol,
            qty=order.quantity,
            side=sdk.OrderSide.BUY if order.side is Side.BUY else sdk.OrderSide.SELL,
            time_in_force=sdk.TimeInForce.OPG,
            client_order_id=order.order_id,
        )
        try:
            return to_broker_order(self.client.submit_order(request))  # type: ignore[arg-type]
        except sdk.APIError as exc:
            if _is_duplicate(exc):
                held = self.get_order(order.order_id)
                if held is None:  # pragma: no cover - Alpaca said it has it
                    raise BrokerUnavailableError(f"alpaca holds order {order.order_id} but did not return it") from exc
                logger.info("alpaca already holds this order", extra={"client_order_id": order.order_id})
                return held
            if exc.status_code in REFUSALS:
                return BrokerOrder(
                    client_order_id=order.order_id,
                    broker_order_id=None,
                    status=BrokerOrderStatus.REJECTED,
                    symbol=order.symbol,
                    side=order.side,
                    quantity=order.quantity,
                    reason=f"alpaca refused it: {_message(exc)}",
                )
            raise _unavailable("submitting an order", exc) from exc
        except RequestException as exc:
            raise _unavailable("submitting an order", exc) from exc

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        try:
            return to_broker_order(self.client.get_order_by_client_id(client_order_id))  # type: ignore[arg-type]
        except sdk.APIError as exc:
            if exc.status_code == 404:
                return None
            raise _unavailable("reading an order", exc) from exc
        except RequestException as exc:
            raise _unavailable("reading an order", exc) from exc

    def open_orders(self) -> list[BrokerOrder]:
        request = sdk.GetOrdersRequest(status=sdk.QueryOrderStatus.OPEN, limit=MAX_LISTED)
        orders = self._call("listing open orders", lambda: self.client.get_orders(filter=request))
        return [to_broker_order(o) for o in orders]  # type: ignore[arg-type]

    # ---- the account -----------------------------------------------------------------------------
    def account(self) -> BrokerAccount:
        account = self._call("reading the account", self.client.get_account)
        positions = self._call("reading positions", self.client.get_all_positions)
        return to_broker_account(account, positions)  # type: ignore[arg-type]

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except (sdk.APIError, RequestException) as exc:
            raise _unavailable(what, exc) from exc


# ---- conversions: alpaca-py models -> the order service's ----------------------------------------


def to_broker_order(order: sdk.Order) -> BrokerOrder:
    status = _STATUS.get(order.status, BrokerOrderStatus.OPEN)
    filled = shares(order.filled_qty or 0)
    price = Decimal(str(order.filled_avg_price)) if filled and order.filled_avg_price not in (None, "") else None
    reason = None
    if status in (BrokerOrderStatus.CANCELED, BrokerOrderStatus.EXPIRED, BrokerOrderStatus.REJECTED):
        when = order.canceled_at or order.expired_at or order.failed_at or order.updated_at
        reason = f"alpaca: order {order.status.value} at {when.isoformat()}" + (
            f" after {filled} of {shares(order.qty or 0)} filled" if filled else ""
        )
    return BrokerOrder(
        client_order_id=order.client_order_id,
        broker_order_id=str(order.id),
        status=status,
        symbol=order.symbol or "",
        side=Side.BUY if order.side == sdk.OrderSide.BUY else Side.SELL,
        quantity=shares(order.qty or 0),
        filled_quantity=filled,
        filled_avg_price=price,
        filled_at=order.filled_at,
        reason=reason,
    )


def to_broker_account(account: sdk.TradeAccount, positions: list[sdk.Position]) -> BrokerAccount:
    held: dict[str, int] = {}
    for p in positions:
        held[p.symbol] = held.get(p.symbol, 0) + shares(p.qty)  # Alpaca signs a short's qty
    return BrokerAccount(cash=Decimal(account.cash or "0"), positions={s: q for s, q in held.items() if q})


def shares(value: str | float | int) -> int:
    """Whole shares from Alpaca's decimal strings; we trade whole shares only."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise BrokerUnavailableError(f"alpaca sent a quantity that is not a number: {value!r}") from exc
    if amount != amount.to_integral_value():
        raise BrokerUnavailableError(f"alpaca sent a fractional quantity {value}: tradeloop trades whole shares")
    return int(amount)


def _message(exc: sdk.APIError) -> str:
    try:
        return str(json.loads(str(exc))["message"])
    except (ValueError, KeyError, TypeError):
        return str(exc)[:300]


def _is_duplicate(exc: sdk.APIError) -> bool:
    """Alpaca's answer to a client_order_id it already holds: 422 "client_order_id must be unique"."""
    message = _message(exc).lower()
    return exc.status_code == 422 and "client_order_id" in message and "unique" in message


def _unavailable(what: str, exc: Exception) -> BrokerUnavailableError:
    status = getattr(exc, "status_code", None)
    detail = _message(exc) if isinstance(exc, sdk.APIError) else type(exc).__name__
    return BrokerUnavailableError(f"alpaca: {what} failed ({status or 'no answer'}): {detail}")
