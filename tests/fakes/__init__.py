"""In-memory stores for the order service's money path: the ``TradingStore``, ``ControlsStore`` and
``SnapshotStore`` interfaces of ``tradeloop_common.dal``, kept as their DynamoDB implementations keep
them, without AWS, so the logic's branches (duplicate, conflict, insufficient cash, a controls
version change, a snapshot kept once) are unit-tested in milliseconds. ``fakes.contract`` runs the
same scenarios against these and, in tests/integration/test_dynamodb_stores_contract.py, against the
DynamoDB stores in the emulator.

What the fakes keep from DynamoDB, item for item:
- each write of ``commit_fill``/``put_pending``/``fill_pending``/``close_pending`` is one
  transaction: every condition is evaluated first, then all of it is written or none of it;
- the conditions are the DynamoDB store's: the order new (or still PENDING), the cash or the
  buying power covering a buy, a sold position at the version read with the shares, the
  controls at the version a ``ControlsGuard`` names (0: no controls item);
- a cancelled transaction maps to the same ``CommitOutcome`` by the same priority (the order
  item, then the cash, then the position or the controls);
- the controls' optimistic lock raises the same ``ConflictError``;
- a snapshot is kept once per account and close; one taken after the fills replaces one taken
  without them, once.

One lock (shared by the controls and the trading store built on them) serialises every read and
write, as DynamoDB serialises the items of a transaction: racing threads see all of a commit or
none of it."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from order_service.logic.context import Dependencies
from tradeloop_common.accounting import FillEffect
from tradeloop_common.clock import FixedClock, iso
from tradeloop_common.dal.controls import ControlsGuard, ControlsStore
from tradeloop_common.dal.snapshots import SnapshotStore
from tradeloop_common.dal.trading import CashState, CommitOutcome, TradingStore
from tradeloop_common.errors import ConflictError
from tradeloop_common.models import (
    Controls,
    ControlsChange,
    Order,
    OrderStatus,
    Position,
    Reconciliation,
    Side,
    Snapshot,
)


class InMemoryControlsStore(ControlsStore):
    """``ControlsStore`` in memory; ``InMemoryTradingStore`` checks its guards against these controls."""

    def __init__(self, lock: threading.RLock | None = None) -> None:
        self.lock = lock or threading.RLock()
        self._items: dict[str, Controls] = {}
        self._changes: list[ControlsChange] = []
        self.reads = 0

    def get(self, account_id: str) -> Controls:
        with self.lock:
            self.reads += 1
            found = self._items.get(account_id)
            return found.model_copy(deep=True) if found else Controls()

    def version(self, account_id: str) -> int:
        """The stored version, 0 without an item (a stored one is 1 or more)."""
        with self.lock:
            found = self._items.get(account_id)
            return found.version if found else 0

    def put(
        self, account_id: str, controls: Controls, expected_version: int, actor: str, reason: str | None = None
    ) -> Controls:
        assert controls.updated_at is not None
        with self.lock:
            if self.version(account_id) != expected_version:
                raise ConflictError(
                    "controls changed since they were read",
                    [{"field": "controls", "fix": "GET /controls again and re-apply your change"}],
                )
            old = self._items.get(account_id) or Controls()
            new = controls.model_copy(
                update={"version": expected_version + 1, "changed_by": actor, "reason": reason}, deep=True
            )
            self._items[account_id] = new
            self._changes.append(ControlsChange.between(account_id, old, new, controls.updated_at, actor, reason))
            return new.model_copy(deep=True)

    def history(self, account_id: str, limit: int = 100) -> list[ControlsChange]:
        with self.lock:
            mine = [c for c in self._changes if c.account_id == account_id]
        return sorted(mine, key=lambda c: (iso(c.at), c.version), reverse=True)[:limit]


class InMemoryTradingStore(TradingStore):
    """``TradingStore`` in memory. Give it the controls the guards check (their lock is shared)."""

    def __init__(self, controls: InMemoryControlsStore | None = None) -> None:
        self.controls = controls
        self.lock = controls.lock if controls else threading.RLock()
        self._orders: dict[str, Order] = {}
        self._cash: dict[str, dict[str, Decimal]] = {}
        self._versions: dict[str, int] = {}  # the CASH item's version: every money write adds 1
        self._positions: dict[tuple[str, str], Position] = {}
        self._reconciliations: dict[tuple[str, date], Reconciliation] = {}

    # ---- orders -------------------------------------------------------------------------------
    def get_order(self, order_id: str) -> Order | None:
        with self.lock:
            found = self._orders.get(order_id)
            return found.model_copy(deep=True) if found else None

    def list_orders(
        self,
        account_id: str,
        *,
        symbol: str | None,
        status: OrderStatus | None,
        limit: int,
        next_token: str | None,
    ) -> tuple[list[Order], str | None]:
        """Newest first, by (created_at, order_id); ``next_token`` is where the last page ended."""
        with self.lock:
            matching = [
                o
                for o in self._orders.values()
                if o.account_id == account_id
                and (symbol is None or o.symbol == symbol)
                and (status is None or o.status is status)
            ]
        ordered = sorted(matching, key=_created_key, reverse=True)
        if next_token is not None:
            ordered = [o for o in ordered if _created_key(o) < next_token]
        page = [o.model_copy(deep=True) for o in ordered[:limit]]
        return page, (_created_key(page[-1]) if len(ordered) > limit else None)

    def put_new_order(self, order: Order) -> bool:
        with self.lock:
            if order.order_id in self._orders:
                return False
            self._orders[order.order_id] = order.model_copy(deep=True)
            return True

    def list_pending(self, account_id: str, upto: date | None = None) -> list[Order]:
        with self.lock:
            pending = [
                o
                for o in self._orders.values()
                if o.account_id == account_id
                and o.status is OrderStatus.PENDING
                and (upto is None or (o.session is not None and o.session <= upto))
            ]
        key = lambda o: f"{o.session.isoformat() if o.session else ''}#{o.order_id}"  # noqa: E731 - the index's key
        return [o.model_copy(deep=True) for o in sorted(pending, key=key)]

    # ---- account ------------------------------------------------------------------------------
    def open_account(self, account_id: str, cash: Decimal) -> bool:
        with self.lock:
            if account_id in self._cash:
                return False
            self._cash[account_id] = {"cash": cash, "available": cash, "reserved": Decimal(0), "opening_cash": cash}
            self._versions[account_id] = 0
            return True

    def get_cash(self, account_id: str) -> Decimal | None:
        with self.lock:
            row = self._cash.get(account_id)
            return row["cash"] if row else None

    def get_cash_state(self, account_id: str) -> CashState | None:
        with self.lock:
            row = self._cash.get(account_id)
            return CashState(**row, version=self._versions[account_id]) if row else None

    def get_position(self, account_id: str, symbol: str) -> Position:
        with self.lock:
            found = self._positions.get((account_id, symbol))
            return found.model_copy() if found else Position(symbol=symbol)

    def get_positions(self, account_id: str) -> list[Position]:
        with self.lock:
            return [p.model_copy() for (a, s), p in sorted(self._positions.items()) if a == account_id]

    def put_reconciliation(self, result: Reconciliation) -> None:
        with self.lock:
            self._reconciliations[(result.account_id, result.session)] = result.model_copy(deep=True)

    def latest_reconciliation(self, account_id: str) -> Reconciliation | None:
        with self.lock:
            mine = [r for (a, _), r in sorted(self._reconciliations.items()) if a == account_id]
        return mine[-1].model_copy(deep=True) if mine else None

    # ---- the money path: one transaction each, conditions first, then all or nothing ----------
    def commit_fill(
        self, order: Order, effect: FillEffect, before: Position, guard: ControlsGuard | None = None
    ) -> CommitOutcome:
        with self.lock:
            cash_ok = self._cash_ok(order.account_id, effect.cash_delta, effect.cash_delta, spend_available=True)
            reasons = [self._new_ok(order), cash_ok, self._position_ok(order, before), self._guard_ok(guard)]
            outcome = _outcome(reasons, first=CommitOutcome.DUPLICATE)
            if outcome is CommitOutcome.COMMITTED:
                self._orders[order.order_id] = order.model_copy(deep=True)
                self._move_cash(order.account_id, effect.cash_delta, effect.cash_delta)
                self._move_position(order, effect, before)
            return outcome

    def put_pending(self, order: Order, guard: ControlsGuard | None = None) -> CommitOutcome:
        with self.lock:
            cash_ok = self._cash_ok(order.account_id, Decimal(0), -order.reserved)
            outcome = _outcome([self._new_ok(order), cash_ok, self._guard_ok(guard)], first=CommitOutcome.DUPLICATE)
            if outcome is CommitOutcome.COMMITTED:
                self._orders[order.order_id] = order.model_copy(deep=True)
                self._move_cash(order.account_id, Decimal(0), -order.reserved)
            return outcome

    def fill_pending(
        self, filled: Order, effect: FillEffect, before: Position, guard: ControlsGuard | None = None
    ) -> CommitOutcome:
        available_delta = effect.cash_delta + filled.reserved
        with self.lock:
            cash_ok = self._cash_ok(filled.account_id, effect.cash_delta, available_delta)
            reasons = [self._pending_ok(filled), cash_ok, self._position_ok(filled, before), self._guard_ok(guard)]
            outcome = _outcome(reasons, first=CommitOutcome.NOT_PENDING)
            if outcome is CommitOutcome.COMMITTED:
                self._orders[filled.order_id] = filled.model_copy(deep=True)
                self._move_cash(filled.account_id, effect.cash_delta, available_delta)
                self._move_position(filled, effect, before)
            return outcome

    def close_pending(self, closed: Order) -> CommitOutcome:
        with self.lock:
            cash_ok = closed.account_id in self._cash  # a release is never refused
            outcome = _outcome([self._pending_ok(closed), cash_ok], first=CommitOutcome.NOT_PENDING)
            if outcome is CommitOutcome.COMMITTED:
                self._orders[closed.order_id] = closed.model_copy(deep=True)
                self._move_cash(closed.account_id, Decimal(0), closed.reserved)
            return outcome

    # ---- the conditions (DynamoTradingStore's, item for item) ---------------------------------
    def _new_ok(self, order: Order) -> bool:  # attribute_not_exists(order_id)
        return order.order_id not in self._orders

    def _pending_ok(self, order: Order) -> bool:  # status = PENDING (a missing item fails too)
        found = self._orders.get(order.order_id)
        return found is not None and found.status is OrderStatus.PENDING

    def _cash_ok(
        self, account_id: str, cash_delta: Decimal, available_delta: Decimal, spend_available: bool = False
    ) -> bool:
        """DynamoTradingStore._cash_update's condition (a missing CASH item fails each of them)."""
        row = self._cash.get(account_id)
        if row is None:
            return False
        if spend_available and cash_delta < 0:  # a manual buy spends buying power
            return row["available"] >= -cash_delta
        if available_delta < 0 and cash_delta == 0:  # a reservation
            return row["available"] >= -available_delta
        if cash_delta < 0:  # a fill at the open
            return row["cash"] >= -cash_delta
        return True

    def _position_ok(self, order: Order, before: Position) -> bool:
        """A buy adds whatever is there; a sell applies only to the version it read, with the shares."""
        if order.side is Side.BUY:
            return True
        found = self._positions.get((order.account_id, order.symbol))
        return found is not None and found.version == before.version and found.quantity >= order.filled_quantity

    def _guard_ok(self, guard: ControlsGuard | None) -> bool:
        """The controls still at the version the guard names (call under the lock)."""
        if guard is None:
            return True
        if self.controls is None:
            raise ValueError("a guarded write needs the controls: InMemoryTradingStore(controls=...)")
        return self.controls.version(guard.account_id) == guard.version

    # ---- the writes ---------------------------------------------------------------------------
    def _move_cash(self, account_id: str, cash_delta: Decimal, available_delta: Decimal) -> None:
        row = self._cash[account_id]
        row["cash"] += cash_delta
        row["available"] += available_delta
        row["reserved"] += cash_delta - available_delta
        self._versions[account_id] += 1

    def _move_position(self, order: Order, effect: FillEffect, before: Position) -> None:
        key = (order.account_id, order.symbol)
        found = self._positions.get(key) or Position(symbol=order.symbol)
        if order.side is Side.BUY:  # ADD quantity, cost_basis, version
            moved = found.model_copy(
                update={
                    "quantity": found.quantity + order.filled_quantity,
                    "cost_basis": found.cost_basis + effect.position.cost_basis - before.cost_basis,
                    "version": found.version + 1,
                }
            )
        else:  # SET what the sell computed, ADD version
            moved = found.model_copy(
                update={
                    "quantity": effect.position.quantity,
                    "cost_basis": effect.position.cost_basis,
                    "realized_pnl": effect.position.realized_pnl,
                    "version": found.version + 1,
                }
            )
        self._positions[key] = moved


def _created_key(order: Order) -> str:
    return f"{iso(order.created_at)}#{order.order_id}"


def _outcome(held: list[bool], first: CommitOutcome) -> CommitOutcome:
    """DynamoTradingStore's reading of a cancelled transaction: [0] the order, [1] the cash, [2:] the
    position under a sell or the controls."""
    if all(held):
        return CommitOutcome.COMMITTED
    if not held[0]:
        return first
    if not held[1]:
        return CommitOutcome.INSUFFICIENT_CASH
    return CommitOutcome.CONFLICT


class InMemorySnapshotStore(SnapshotStore):
    """``SnapshotStore`` in memory: one snapshot per account and close, written once, except that
    one taken after the fills (``after_fills``) replaces one taken without them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._kept: dict[tuple[str, str], tuple[Snapshot, bool]] = {}  # (account, iso close) -> (it, after_fills)

    def put(self, snapshot: Snapshot, after_fills: bool = False) -> bool:
        key = (snapshot.account_id, iso(snapshot.as_of))
        with self.lock:
            kept = self._kept.get(key)
            # attribute_not_exists(as_of), or with after_fills: OR after_fills = false
            if kept is not None and not (after_fills and not kept[1]):
                return False
            self._kept[key] = (snapshot.model_copy(deep=True), after_fills)
            return True

    def query(self, account_id: str, start: datetime | None, end: datetime | None, limit: int) -> list[Snapshot]:
        lo, hi = iso(start) if start else "0", iso(end) if end else "9"  # the DynamoDB store's BETWEEN
        with self.lock:
            found = [(at, s) for (a, at), (s, _) in self._kept.items() if a == account_id and lo <= at <= hi]
        return [s.model_copy(deep=True) for _, s in sorted(found, key=lambda f: f[0])][-limit:]


def money(store: TradingStore, account_id: str) -> tuple[Decimal, Decimal, Decimal]:
    """(cash, available, reserved): the account's CASH item, which must exist."""
    state = store.get_cash_state(account_id)
    assert state is not None, f"no account {account_id}"
    return state.cash, state.available, state.reserved


def order_dependencies(
    store: InMemoryTradingStore, bars: Any, account_id: str, at: datetime, **extra: Any
) -> Dependencies:
    """The order service's Dependencies on the in-memory stores (``store``, the controls its guards
    check, a snapshot store of their own) and ``bars`` (e.g. signal_fixtures.InMemoryBars): 5 bps
    commission, 2 bps slippage, the clock fixed at ``at``; ``extra``: any other field."""
    assert store.controls is not None, "InMemoryTradingStore(controls=...)"
    return Dependencies(
        store=store,
        bars=bars,
        controls=store.controls,
        snapshots=InMemorySnapshotStore(),
        account_id=account_id,
        commission_bps=Decimal("5"),
        slippage_bps=Decimal("2"),
        clock=FixedClock(at),
        **extra,
    )


def in_memory_stores() -> tuple[InMemoryTradingStore, InMemoryControlsStore]:
    """A trading store and the controls its guards check, sharing one lock."""
    controls = InMemoryControlsStore()
    return InMemoryTradingStore(controls), controls
