"""Turn a signal's target weight into an order: size against equity at the decision time."""

from __future__ import annotations

from order_service.logic.place_order import Dependencies, OrderTicket, order_id_for, place_order
from tradeloop_common.accounting import shares_for_weight
from tradeloop_common.models import Order, OrderIntent, Side
from tradeloop_common.models.order import INTENT_KEY_PREFIX
from tradeloop_common.valuation import portfolio_at


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
