"""The order pipeline: dedupe -> price -> risk -> one transaction. Manual orders and signal intents
both end here."""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from order_service.logic.book import read_book
from order_service.logic.broker import latest_price
from order_service.logic.context import Dependencies
from tradeloop_common.accounting import apply_fill, commission_for, fill_price
from tradeloop_common.dal.controls import ControlsGuard
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.errors import ConflictError, StoreError, UnprocessableError
from tradeloop_common.models import Fill, Order, OrderStatus, Side
from tradeloop_common.money import cents
from tradeloop_common.observability import logger
from tradeloop_common.risk import check_order

ORDER_NAMESPACE = uuid.UUID("7b4f2d1c-3e0a-4d59-9b8e-1f6a2c9d0e11")
MAX_ATTEMPTS = 25


@dataclass(frozen=True)
class OrderTicket:
    """What to trade, whoever asked for it (a person through the API, or a signal intent)."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: int
    source: str = "api"

    def request_hash(self) -> str:
        body = {
            "client_order_id": self.client_order_id,
            "symbol": self.symbol,
            "side": self.side.value,
            "quantity": self.quantity,
            "type": "market",
            # Clients may no longer name a price; the key stays so stored orders keep their hashes.
            "reference_price": None,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def order_id_for(account_id: str, client_order_id: str) -> str:
    """Deterministic, so the database itself refuses a second order for the same key."""
    return str(uuid.uuid5(ORDER_NAMESPACE, f"{account_id}:{client_order_id}"))


def _same_or_conflict(existing: Order | None, ticket: OrderTicket) -> Order:
    if existing is None:  # pragma: no cover - the condition that failed said it exists
        raise StoreError("order vanished after a duplicate check; retry")
    if existing.request_hash != ticket.request_hash():
        raise ConflictError(
            f"client_order_id {ticket.client_order_id!r} was already used for a different order",
            [
                {
                    "field": "client_order_id",
                    "fix": "use a new client_order_id for a new order",
                    "existing_order_id": existing.order_id,
                }
            ],
        )
    return existing


def place_order(ticket: OrderTicket, as_of: datetime, deps: Dependencies) -> Order:
    """A manual order: filled at once at the latest price the data has (saying which), or REJECTED.

    Its risk checks see the book as it will be once the pending orders fill, and buying power,
    not cash: what pending buys reserved is not there to spend."""
    order_id = order_id_for(deps.account_id, ticket.client_order_id)
    existing = deps.store.get_order(order_id)
    if existing is not None:
        return _same_or_conflict(existing, ticket)
    if deps.broker.executes_orders:
        # Filled here at the latest close, it would be a position the broker never had: the next
        # reconciliation would find it and HALT trading.
        raise UnprocessableError(
            f"manual orders fill on the paper broker only; this account trades at {deps.broker.name}",
            [{"field": "broker", "fix": f"place it at {deps.broker.name} itself, or let the rebalance trade"}],
        )
    bars = deps.bars.window(ticket.symbol, as_of.date(), 1)  # unknown symbol -> 422 before anything is written
    for attempt in range(MAX_ATTEMPTS):
        now = deps.clock.now()
        day, ref = latest_price(bars, as_of)
        px = fill_price(ref, ticket.side, deps.slippage_bps)
        controls = deps.controls.get(deps.account_id)
        book, _ = read_book(deps, as_of, [ticket.symbol])
        position = book.position(ticket.symbol)
        checked = position
        if ticket.side is Side.SELL:  # shares promised to a pending sell are not there to sell again
            promised = -min(book.pending.get(ticket.symbol, 0), 0)
            checked = position.model_copy(update={"quantity": max(position.quantity - promised, 0)})
        commission = commission_for(cents(px * ticket.quantity), deps.commission_bps)
        base = {**_order_fields(ticket, deps.account_id, as_of, now), "session": day}
        reason = check_order(
            controls=controls,
            side=ticket.side,
            quantity=ticket.quantity,
            fill_px=px,
            commission=commission,
            position=checked,
            portfolio=book.projected(as_of),
        )
        if reason is None:
            effect = apply_fill(position, ticket.side, ticket.quantity, px, deps.commission_bps)
            fill = Fill(price=px, quantity=ticket.quantity, commission=effect.commission, filled_at=now)
            order = Order(
                **base, status=OrderStatus.FILLED, fills=[fill], price_source=f"close {day.isoformat()} (latest bar)"
            )
            guard = ControlsGuard(deps.account_id, controls.version)
            outcome = deps.store.commit_fill(order, effect, position, guard)
            if outcome is CommitOutcome.COMMITTED:
                logger.info(
                    "order filled",
                    extra={
                        "order_id": order_id,
                        "symbol": ticket.symbol,
                        "side": ticket.side.value,
                        "quantity": ticket.quantity,
                        "price": str(px),
                        "price_source": order.price_source,
                    },
                )
                return order
            if outcome is CommitOutcome.DUPLICATE:
                return _same_or_conflict(deps.store.get_order(order_id), ticket)
            if outcome is CommitOutcome.CONFLICT:
                # The position or the controls changed between our read and our write: re-read.
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
                continue
            reason = f"insufficient buying power: need {-effect.cash_delta}, have less when the fill was booked"
        return reject_order(ticket, as_of, reason, deps, now)
    raise StoreError(f"order {order_id} kept conflicting with concurrent fills; retry")


def _order_fields(ticket: OrderTicket, account_id: str, as_of: datetime, now: datetime) -> dict[str, Any]:
    return {
        "order_id": order_id_for(account_id, ticket.client_order_id),
        "client_order_id": ticket.client_order_id,
        "account_id": account_id,
        "symbol": ticket.symbol,
        "side": ticket.side,
        "quantity": ticket.quantity,
        "source": ticket.source,
        "as_of": as_of,
        "created_at": now,
        "request_hash": ticket.request_hash(),
    }


def reject_order(
    ticket: OrderTicket, as_of: datetime, reason: str, deps: Dependencies, now: datetime | None = None
) -> Order:
    """Store the ticket as REJECTED with ``reason``; no money moves. The stored order on a repeat."""
    rejected = Order(
        **_order_fields(ticket, deps.account_id, as_of, now or deps.clock.now()),
        status=OrderStatus.REJECTED,
        reason=reason,
        broker=deps.broker.name,
    )
    if deps.store.put_new_order(rejected):
        logger.info("order rejected", extra={"order_id": rejected.order_id, "reason": reason})
        return rejected
    return _same_or_conflict(deps.store.get_order(rejected.order_id), ticket)
