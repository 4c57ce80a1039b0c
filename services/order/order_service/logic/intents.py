"""Turn a signal's target weight into an order: size against equity at the decision time.

A message that is not a usable intent must never hold up intents for other symbols: where it names
a symbol it becomes a REJECTED order saying why (a retry could not fix it), else it is refused
(``PoisonIntentError``) so SQS sends it, alone, to the dead-letter queue."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from order_service.logic.place_order import Dependencies, OrderTicket, order_id_for, place_order, reject_order
from tradeloop_common.accounting import shares_for_weight
from tradeloop_common.clock import parse_as_of, window_error
from tradeloop_common.errors import UnprocessableError
from tradeloop_common.models import Order, OrderIntent, Side
from tradeloop_common.models.order import INTENT_ID_PATTERN, INTENT_KEY_PREFIX
from tradeloop_common.models.types import SYMBOL_PATTERN
from tradeloop_common.valuation import portfolio_at

_INTENT_ID = re.compile(INTENT_ID_PATTERN)
_SYMBOL = re.compile(SYMBOL_PATTERN)


class PoisonIntentError(ValueError):
    """A message that names no symbol: nothing to reject it against, so it goes to the DLQ."""


def intent_key(intent: OrderIntent) -> str:
    """The idempotency key of an intent's order, in a key space no manual order can occupy."""
    return INTENT_KEY_PREFIX + intent.intent_id


def process_intent(intent: OrderIntent, deps: Dependencies) -> Order | None:
    """The order for this intent (the stored one on redelivery), or None when already on target."""
    existing = deps.store.get_order(order_id_for(deps.account_id, intent_key(intent)))
    if existing is not None:
        # Redelivery: the position has moved since, so re-sizing would give a different order.
        return existing
    bars = deps.bars.get(intent.symbol)
    last = bars.last_close(intent.as_of)
    if last is None:
        return None
    portfolio = portfolio_at(deps.store, deps.bars, deps.account_id, intent.as_of)
    held = next((p.quantity for p in portfolio.positions if p.symbol == intent.symbol), 0)
    target = shares_for_weight(intent.target_weight, portfolio.equity, last[1])
    delta = target - held
    if delta == 0:
        return None
    ticket = OrderTicket(
        client_order_id=intent_key(intent),
        symbol=intent.symbol,
        side=Side.BUY if delta > 0 else Side.SELL,
        quantity=abs(delta),
        source="signal",
    )
    return place_order(ticket, intent.as_of, deps)


def handle_intent_message(body: str, message_id: str, deps: Dependencies) -> Order | None:
    """One SQS message: the intent's order, a REJECTED order for a bad intent that names a symbol,
    or PoisonIntentError. Store errors propagate, so a transient failure is retried."""
    try:
        intent = OrderIntent.model_validate_json(body)
    except ValidationError as exc:
        return _reject_malformed(body, message_id, _describe(exc), deps)
    try:
        return process_intent(intent, deps)
    except UnprocessableError as exc:  # unknown symbol, no price: the same on every retry
        return _reject(intent_key(intent), intent.symbol, intent.target_weight, intent.as_of, exc.message, deps)


def _describe(exc: ValidationError) -> str:
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
    return f"invalid order intent: {problems}"


def _reject_malformed(body: str, message_id: str, reason: str, deps: Dependencies) -> Order:
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = None
    fields = data if isinstance(data, dict) else {}
    symbol = fields.get("symbol")
    if not isinstance(symbol, str) or not _SYMBOL.match(symbol):
        raise PoisonIntentError(f"{reason} (and it names no valid symbol)")
    intent_id = fields.get("intent_id")
    # A redelivery must find the same order: key it by the intent id when usable, else the message.
    key = INTENT_KEY_PREFIX + (
        intent_id if isinstance(intent_id, str) and _INTENT_ID.match(intent_id) else f"message:{message_id}"
    )
    return _reject(key, symbol, fields.get("target_weight"), _as_of_or_now(fields.get("as_of"), deps), reason, deps)


def _reject(key: str, symbol: str, weight: Any, as_of: datetime, reason: str, deps: Dependencies) -> Order:
    """Stored with quantity 0 (it was never sized); the side is the direction the target asked for."""
    ticket = OrderTicket(client_order_id=key, symbol=symbol, side=_side_of(weight), quantity=0, source="signal")
    return reject_order(ticket, as_of, reason, deps)


def _side_of(weight: Any) -> Side:
    try:
        return Side.SELL if Decimal(str(weight)) <= 0 else Side.BUY
    except (InvalidOperation, ValueError):
        return Side.BUY


def _as_of_or_now(value: Any, deps: Dependencies) -> datetime:
    """The intent's decision time when it is a usable one, else now."""
    try:
        at = parse_as_of(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    return at if at is not None and window_error(at) is None else deps.clock.now()
