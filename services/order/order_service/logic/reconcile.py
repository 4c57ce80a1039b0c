"""Reconciliation, each session: the account's book against its counterpart, which the broker
decides (``counterpart``):

- paper: the ledger of its own fills. Positions and cash replayed from every fill must equal what
  the book holds, and the buying power must equal cash less what the pending orders reserve;
- a broker that keeps the account (alpaca): its positions and cash, less what it filled on orders
  the book still holds PENDING (a partly filled order is booked when it ends).

A difference is stored (the accounts table, ``RECON#<session>``) and counted in a metric the
alarm watches; any position difference, or cash off by more than ``HALT_CASH_DIFFERENCE``, sets
the kill switch to HALTED by itself: trading on a book nobody can explain is not safe.

Both sides are read as of one moment. The order function may be placing a rebalance, or a manual
order filling, while this runs; every such write moves the CASH item's version, so the book and
the ledger are compared only when that version was the same before and after reading them (a
difference between reads of two moments is no difference: `make reliability` once halted on one).
A difference found is looked at again after a pause (the order indexes the ledger reads are
eventually consistent in DynamoDB), and only one still there is a verdict."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from order_service.brokers.base import BrokerAccount
from order_service.logic.context import Dependencies
from order_service.logic.controls import set_state_by_rule
from tradeloop_common.dal.trading import CashState
from tradeloop_common.errors import StoreError
from tradeloop_common.models import Difference, Fill, Order, OrderStatus, Reconciliation, Side, TradingState
from tradeloop_common.money import cents
from tradeloop_common.observability import logger

HALT_CASH_DIFFERENCE = Decimal("1.00")
PAGE = 500
READ_ATTEMPTS = 5  # reads of the book until one saw no money move under it
READ_PAUSE_SECONDS = 0.2  # between reads that saw a write, times the attempt
RECHECK_SECONDS = 1.0  # before a difference found is looked at again


@dataclass(frozen=True)
class Counterpart:
    """What the book is compared with. ``reserved`` only where the source knows it (the ledger)."""

    positions: dict[str, int]
    cash: Decimal
    reserved: Decimal | None = None


def counterpart(deps: Dependencies) -> Counterpart:
    account = deps.broker.account()
    return ledger(deps) if account is None else broker_side(account, deps)


def ledger(deps: Dependencies) -> Counterpart:
    """Positions, cash and reservations replayed from the orders alone (oldest fill first)."""
    state = deps.store.get_cash_state(deps.account_id)
    cash = state.opening_cash if state else Decimal(0)
    positions: dict[str, int] = {}
    reserved = Decimal(0)
    fills: list[tuple[datetime, str, Order, Fill]] = []
    token: str | None = None
    while True:
        orders, token = deps.store.list_orders(deps.account_id, symbol=None, status=None, limit=PAGE, next_token=token)
        for order in orders:
            if order.status is OrderStatus.PENDING:
                reserved += order.reserved
            fills.extend((f.filled_at, order.order_id, order, f) for f in order.fills)
        if not token:
            break
    for _, _, order, fill in sorted(fills, key=lambda f: (f[0], f[1])):
        notional = cents(fill.price * fill.quantity)
        # The ledger's own commission, not a recomputation.
        cash += -(notional + fill.commission) if order.side is Side.BUY else notional - fill.commission
        positions[order.symbol] = positions.get(order.symbol, 0) + (
            fill.quantity if order.side is Side.BUY else -fill.quantity
        )
    return Counterpart(positions, cash, reserved)


def broker_side(account: BrokerAccount, deps: Dependencies) -> Counterpart:
    """The broker's account as the book would show it: fills the broker made on orders still
    PENDING here are taken back out, since the book books them when the order ends."""
    pending = {o.order_id: o for o in deps.store.list_pending(deps.account_id)}
    positions, cash = dict(account.positions), account.cash
    for at_broker in deps.broker.open_orders():
        order = pending.get(at_broker.client_order_id)
        if order is None or not at_broker.filled_quantity or at_broker.filled_avg_price is None:
            continue
        sign = 1 if order.side is Side.BUY else -1
        positions[order.symbol] = positions.get(order.symbol, 0) - sign * at_broker.filled_quantity
        cash += sign * cents(at_broker.filled_avg_price * at_broker.filled_quantity)
    return Counterpart({s: q for s, q in positions.items() if q}, cash)


def reconcile(session: date, deps: Dependencies) -> Reconciliation:
    differences = _differences(deps)
    if differences:
        time.sleep(RECHECK_SECONDS)
        differences = _differences(deps)
    result = Reconciliation(
        account_id=deps.account_id,
        session=session,
        checked_at=deps.clock.now(),
        broker=deps.broker.name,
        differences=differences,
    )
    if _must_halt(differences):
        result = result.model_copy(update={"halted": _halt(result, deps)})
    deps.store.put_reconciliation(result)
    if differences:
        logger.error(
            "reconciliation found differences",
            extra={
                "session": session.isoformat(),
                "broker": deps.broker.name,
                "differences": [d.model_dump(mode="json") for d in differences],
            },
        )
    return result


def _differences(deps: Dependencies) -> list[Difference]:
    expected, state, held = _quiet_read(deps)
    differences = []
    if state is not None:
        compared = [("cash", state.cash, expected.cash)]
        if expected.reserved is not None:
            compared += [
                ("reserved", state.reserved, expected.reserved),
                ("available", state.available, expected.cash - expected.reserved),
            ]
        for what, ours, theirs in compared:
            if cents(ours) != cents(theirs):
                differences.append(Difference(what=what, ours=cents(ours), theirs=cents(theirs)))
    for symbol in sorted(set(held) | set(expected.positions)):
        ours_qty, theirs_qty = held.get(symbol, 0), expected.positions.get(symbol, 0)
        if ours_qty != theirs_qty:
            differences.append(
                Difference(what=f"position:{symbol}", ours=Decimal(ours_qty), theirs=Decimal(theirs_qty))
            )
    return differences


def _quiet_read(deps: Dependencies) -> tuple[Counterpart, CashState | None, dict[str, int]]:
    """The counterpart, the CASH item and the positions, read with no money write in between."""
    for attempt in range(READ_ATTEMPTS):
        before = deps.store.get_cash_state(deps.account_id)
        expected = counterpart(deps)
        held = {p.symbol: p.quantity for p in deps.store.get_positions(deps.account_id)}
        after = deps.store.get_cash_state(deps.account_id)
        if (before.version if before else None) == (after.version if after else None):
            return expected, after, held
        time.sleep(READ_PAUSE_SECONDS * (attempt + 1))
    raise StoreError(
        f"the account {deps.account_id} kept changing during {READ_ATTEMPTS} reads for its reconciliation; "
        "run the fill step again"
    )


def _must_halt(differences: list[Difference]) -> bool:
    return any(d.what.startswith("position:") or abs(d.ours - d.theirs) > HALT_CASH_DIFFERENCE for d in differences)


def _halt(result: Reconciliation, deps: Dependencies) -> bool:
    found = "; ".join(f"{d.what} ours {d.ours} broker {d.theirs}" for d in result.differences)
    return set_state_by_rule(
        deps.controls,
        deps.account_id,
        TradingState.HALTED,
        "reconciliation",
        f"the book and the {result.broker} broker disagree on {result.session}: {found}",
        deps.clock.now(),
    )
