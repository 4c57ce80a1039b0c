"""The stores' contract, as scenarios any ``TradingStore`` (with the ``ControlsStore`` its guards
check; ``SCENARIOS``) and any ``SnapshotStore`` (``SNAPSHOT_SCENARIOS``) must pass: the in-memory
fakes in tests/unit/test_fake_stores_contract.py, the DynamoDB stores in the emulator in
tests/integration/test_dynamodb_stores_contract.py. Each scenario opens its own account
(``account_id``), so it runs against a shared table as well as an empty fake."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tradeloop_common.accounting import FillEffect, apply_fill
from tradeloop_common.dal.controls import ControlsGuard, ControlsStore
from tradeloop_common.dal.snapshots import SnapshotStore
from tradeloop_common.dal.trading import CashState, CommitOutcome, TradingStore
from tradeloop_common.models import (
    Controls,
    Fill,
    Order,
    OrderStatus,
    Position,
    Side,
    Snapshot,
    TimeInForce,
    TradingState,
)

AT = datetime(2013, 1, 2, 21, tzinfo=UTC)
SESSION = date(2013, 1, 3)
BPS = Decimal("5")
OPENING = Decimal("10000")


def new_account() -> str:
    return f"contract-{uuid.uuid4().hex[:12]}"


def new_order(account_id: str, side: Side, quantity: int, status: OrderStatus, **extra: object) -> Order:
    """An order of ``account_id`` (IBM unless ``symbol=``), decided and created at AT, with an id of its own."""
    key = uuid.uuid4().hex[:12]
    return Order(
        order_id=f"{account_id}-{key}",
        client_order_id=key,
        account_id=account_id,
        symbol=str(extra.pop("symbol", "IBM")),
        side=side,
        quantity=quantity,
        status=status,
        as_of=AT,
        created_at=AT,
        request_hash=f"hash-{key}",
        **extra,
    )


def _pending_buy(account_id: str, quantity: int, reserved: Decimal) -> Order:
    """A market-on-open buy for SESSION, holding ``reserved`` of buying power."""
    return new_order(
        account_id,
        Side.BUY,
        quantity,
        OrderStatus.PENDING,
        reserved=reserved,
        session=SESSION,
        time_in_force=TimeInForce.OPG,
    )


def filled(
    store: TradingStore, account_id: str, side: Side, quantity: int, price: Decimal, symbol: str = "IBM"
) -> tuple[Order, Position, FillEffect]:
    """A FILLED order at ``price``, the position it was judged against, and its effect."""
    before = store.get_position(account_id, symbol)
    effect = apply_fill(before, side, quantity, price, BPS)
    fill = Fill(price=price, quantity=quantity, commission=effect.commission, filled_at=AT)
    order = new_order(account_id, side, quantity, OrderStatus.FILLED, symbol=symbol, fills=[fill])
    return order, before, effect


def _cash(store: TradingStore, account_id: str) -> CashState:
    state = store.get_cash_state(account_id)
    assert state is not None
    return state


# ------------------------------------------------------------------------------------ scenarios
def open_twice(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    assert store.get_cash_state(account_id) is None
    assert store.open_account(account_id, OPENING) is True
    assert store.open_account(account_id, Decimal("1")) is False  # the first opening stands
    assert _cash(store, account_id) == CashState(OPENING, OPENING, Decimal(0), OPENING)
    assert store.get_cash(account_id) == OPENING


def duplicate_put(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    store.open_account(account_id, OPENING)
    rejected = new_order(account_id, Side.BUY, 5, OrderStatus.REJECTED, reason="a test")
    assert store.put_new_order(rejected) is True
    again = rejected.model_copy(update={"reason": "another"})
    assert store.put_new_order(again) is False
    stored = store.get_order(rejected.order_id)
    assert stored is not None and stored.reason == "a test" and stored.request_hash == rejected.request_hash
    assert _cash(store, account_id).cash == OPENING


def fill_then_duplicate(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    store.open_account(account_id, OPENING)
    order, before, effect = filled(store, account_id, Side.BUY, 10, Decimal("100.25"))
    assert store.commit_fill(order, effect, before) is CommitOutcome.COMMITTED
    cost = Decimal("1002.50") + Decimal("0.50")  # notional + 5 bps commission, to the cent
    assert _cash(store, account_id) == CashState(OPENING - cost, OPENING - cost, Decimal(0), OPENING)
    held = store.get_position(account_id, "IBM")
    assert (held.quantity, held.cost_basis, held.version) == (10, cost, 1)
    # The same order again (a retry after a lost answer): refused, nothing moves twice.
    assert store.commit_fill(order, effect, before) is CommitOutcome.DUPLICATE
    assert _cash(store, account_id).cash == OPENING - cost
    assert store.get_position(account_id, "IBM").quantity == 10
    # A rejection under an id already filled is refused too.
    assert store.put_new_order(order.model_copy(update={"status": OrderStatus.REJECTED})) is False
    stored = store.get_order(order.order_id)
    assert stored is not None and stored.status is OrderStatus.FILLED


def stale_controls(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    """A fill guarded by the controls as read is a CONFLICT once they changed; nothing is written.
    (A guard at version 0: the account has no controls item yet.)"""
    store.open_account(account_id, OPENING)
    read = controls.get(account_id)
    assert read.version == 0
    guard = ControlsGuard(account_id, read.version)
    controls.put(
        account_id,
        read.model_copy(update={"trading_state": TradingState.HALTED, "updated_at": AT}),
        read.version,
        "person:test",
        "contract",
    )
    order, before, effect = filled(store, account_id, Side.BUY, 10, Decimal("100"))
    assert store.commit_fill(order, effect, before, guard) is CommitOutcome.CONFLICT
    assert store.get_order(order.order_id) is None
    assert _cash(store, account_id).cash == OPENING
    assert store.get_position(account_id, "IBM").quantity == 0
    # Guarded by the controls as they now are: it commits.
    fresh = ControlsGuard(account_id, controls.get(account_id).version)
    assert fresh.version == 1
    assert store.commit_fill(order, effect, before, fresh) is CommitOutcome.COMMITTED


def stale_controls_refuse_a_second_writer(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    from tradeloop_common.errors import ConflictError

    first = controls.get(account_id)
    changed = first.model_copy(update={"trading_state": TradingState.REDUCE_ONLY, "updated_at": AT})
    assert controls.put(account_id, changed, first.version, "person:a", "one").version == first.version + 1
    try:
        controls.put(account_id, changed, first.version, "person:b", "two")
    except ConflictError:
        pass
    else:
        raise AssertionError("a write at a stale version was accepted")
    now = controls.get(account_id)
    assert (now.version, now.changed_by, now.trading_state) == (first.version + 1, "person:a", TradingState.REDUCE_ONLY)
    assert now == Controls.model_validate(now.model_dump())


def stale_position(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    """A sell applies to the version of the position it read: a CONFLICT after another fill."""
    store.open_account(account_id, OPENING)
    buy, before, effect = filled(store, account_id, Side.BUY, 10, Decimal("50"))
    assert store.commit_fill(buy, effect, before) is CommitOutcome.COMMITTED
    sell, read, sell_effect = filled(store, account_id, Side.SELL, 10, Decimal("60"))
    more, before_more, more_effect = filled(store, account_id, Side.BUY, 1, Decimal("50"))
    assert store.commit_fill(more, more_effect, before_more) is CommitOutcome.COMMITTED
    cash = _cash(store, account_id)
    assert store.commit_fill(sell, sell_effect, read) is CommitOutcome.CONFLICT
    assert store.get_order(sell.order_id) is None
    assert _cash(store, account_id) == cash
    assert store.get_position(account_id, "IBM").quantity == 11
    # A sell with no position at all (none was read, none is there): a CONFLICT, not a short.
    short, nothing, short_effect = filled(store, account_id, Side.BUY, 1, Decimal("5"), symbol="MSFT")
    short = short.model_copy(update={"side": Side.SELL})
    assert store.commit_fill(short, short_effect, nothing) is CommitOutcome.CONFLICT


def insufficient_cash(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    store.open_account(account_id, Decimal("1000"))
    order, before, effect = filled(store, account_id, Side.BUY, 10, Decimal("100"))  # 1000.50 with commission
    assert store.commit_fill(order, effect, before) is CommitOutcome.INSUFFICIENT_CASH
    assert store.get_order(order.order_id) is None
    assert _cash(store, account_id) == CashState(Decimal("1000"), Decimal("1000"), Decimal(0), Decimal("1000"))
    assert store.get_position(account_id, "IBM").quantity == 0
    # No account at all: the same answer, and nothing is created.
    nobody = order.model_copy(update={"account_id": account_id + "-none"})
    assert store.commit_fill(nobody, effect, before) is CommitOutcome.INSUFFICIENT_CASH
    assert store.get_cash_state(account_id + "-none") is None


def reservations(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    """A PENDING buy reserves buying power; a manual buy cannot spend it; closing returns it once."""
    store.open_account(account_id, Decimal("1000"))
    pending = _pending_buy(account_id, 6, Decimal("600.30"))
    too_much = pending.model_copy(update={"order_id": pending.order_id + "-2", "reserved": Decimal("1000.01")})
    assert store.put_pending(too_much) is CommitOutcome.INSUFFICIENT_CASH
    assert store.put_pending(pending) is CommitOutcome.COMMITTED
    assert store.put_pending(pending) is CommitOutcome.DUPLICATE
    reserved = CashState(Decimal("1000"), Decimal("399.70"), Decimal("600.30"), Decimal("1000"))
    assert _cash(store, account_id) == reserved
    assert [o.order_id for o in store.list_pending(account_id, upto=SESSION)] == [pending.order_id]
    assert store.list_pending(account_id, upto=date(2013, 1, 2)) == []
    # 500 of cash is there, but not as buying power.
    order, before, effect = filled(store, account_id, Side.BUY, 5, Decimal("100"))
    assert store.commit_fill(order, effect, before) is CommitOutcome.INSUFFICIENT_CASH
    assert _cash(store, account_id) == reserved
    closed = pending.model_copy(update={"status": OrderStatus.CANCELLED, "reason": "contract"})
    assert store.close_pending(closed) is CommitOutcome.COMMITTED
    assert store.close_pending(closed) is CommitOutcome.NOT_PENDING  # the reservation comes back once
    assert _cash(store, account_id) == CashState(Decimal("1000"), Decimal("1000"), Decimal(0), Decimal("1000"))
    assert store.list_pending(account_id) == []


def fill_at_open(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    """A PENDING buy filled: cash moves by the cost, its reservation goes back; once only."""
    store.open_account(account_id, Decimal("1000"))
    pending = _pending_buy(account_id, 5, Decimal("520"))
    assert store.put_pending(pending) is CommitOutcome.COMMITTED
    before = store.get_position(account_id, "IBM")
    effect = apply_fill(before, Side.BUY, 5, Decimal("101"), BPS)  # 505 + 0.25
    fill = Fill(price=Decimal("101"), quantity=5, commission=effect.commission, filled_at=AT)
    done = pending.model_copy(update={"status": OrderStatus.FILLED, "fills": [fill]})
    guard = ControlsGuard(account_id, controls.get(account_id).version)
    assert store.fill_pending(done, effect, before, guard) is CommitOutcome.COMMITTED
    assert store.fill_pending(done, effect, before, guard) is CommitOutcome.NOT_PENDING
    left = Decimal("1000") - Decimal("505.25")
    assert _cash(store, account_id) == CashState(left, left, Decimal(0), Decimal("1000"))
    assert store.get_position(account_id, "IBM").quantity == 5
    stored = store.get_order(pending.order_id)
    assert stored is not None and stored.status is OrderStatus.FILLED and stored.filled_quantity == 5


def money_writes_move_the_version(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    """Every write that moves money moves the CASH item's version, and only those: what lets a
    reader (the reconciliation) know that nothing moved between two of its reads."""
    store.open_account(account_id, Decimal("1000"))
    seen = [_cash(store, account_id).version]

    def moved() -> bool:
        seen.append(_cash(store, account_id).version)
        return seen[-1] > seen[-2]

    pending = _pending_buy(account_id, 2, Decimal("200"))
    assert store.put_pending(pending) is CommitOutcome.COMMITTED and moved()
    assert store.put_pending(pending) is CommitOutcome.DUPLICATE and not moved()
    closed = pending.model_copy(update={"status": OrderStatus.CANCELLED, "reason": "contract"})
    assert store.close_pending(closed) is CommitOutcome.COMMITTED and moved()
    assert store.close_pending(closed) is CommitOutcome.NOT_PENDING and not moved()
    order, before, effect = filled(store, account_id, Side.BUY, 2, Decimal("100"))
    assert store.commit_fill(order, effect, before) is CommitOutcome.COMMITTED and moved()
    too_big, before, effect = filled(store, account_id, Side.BUY, 50, Decimal("100"))
    assert store.commit_fill(too_big, effect, before) is CommitOutcome.INSUFFICIENT_CASH and not moved()
    rejected = new_order(account_id, Side.BUY, 1, OrderStatus.REJECTED, reason="contract")
    assert store.put_new_order(rejected) and not moved()  # a rejection moves no money


def release_of_a_sells_credit(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    """A pending sell's credit is given back when it ends, even after buys spent the buying power
    it gave: ending an order is never refused (it stayed PENDING, and was tried again every session)."""
    store.open_account(account_id, Decimal("1000"))
    sell = new_order(
        account_id,
        Side.SELL,
        5,
        OrderStatus.PENDING,
        reserved=Decimal("-500"),
        session=SESSION,
        time_in_force=TimeInForce.OPG,
    )
    assert store.put_pending(sell) is CommitOutcome.COMMITTED
    buy = _pending_buy(account_id, 14, Decimal("1400"))  # on the sell's credit
    assert store.put_pending(buy) is CommitOutcome.COMMITTED
    assert _cash(store, account_id) == CashState(Decimal("1000"), Decimal("100"), Decimal("900"), Decimal("1000"))
    expired = sell.model_copy(update={"status": OrderStatus.EXPIRED, "reason": "contract"})
    assert store.close_pending(expired) is CommitOutcome.COMMITTED
    assert _cash(store, account_id) == CashState(Decimal("1000"), Decimal("-400"), Decimal("1400"), Decimal("1000"))
    cancelled = buy.model_copy(update={"status": OrderStatus.CANCELLED, "reason": "contract"})
    assert store.close_pending(cancelled) is CommitOutcome.COMMITTED
    assert _cash(store, account_id) == CashState(Decimal("1000"), Decimal("1000"), Decimal(0), Decimal("1000"))


def stale_controls_refuse_a_reservation(store: TradingStore, controls: ControlsStore, account_id: str) -> None:
    """A pending order guarded by controls that changed since they were read is a CONFLICT: nothing
    is reserved; at their current version it is booked."""
    store.open_account(account_id, Decimal("1000"))
    first = controls.get(account_id)
    controls.put(account_id, first.model_copy(update={"updated_at": AT}), first.version, "person:test", "one")
    read = controls.get(account_id)
    controls.put(
        account_id,
        read.model_copy(update={"trading_state": TradingState.HALTED, "updated_at": AT}),
        read.version,
        "person:test",
        "two",
    )
    pending = _pending_buy(account_id, 2, Decimal("200"))
    assert store.put_pending(pending, ControlsGuard(account_id, read.version)) is CommitOutcome.CONFLICT
    assert store.put_pending(pending, ControlsGuard(account_id, 0)) is CommitOutcome.CONFLICT  # the item exists
    assert store.get_order(pending.order_id) is None
    assert _cash(store, account_id) == CashState(Decimal("1000"), Decimal("1000"), Decimal(0), Decimal("1000"))
    now = ControlsGuard(account_id, read.version + 1)
    assert store.put_pending(pending, now) is CommitOutcome.COMMITTED
    assert _cash(store, account_id) == CashState(Decimal("1000"), Decimal("800"), Decimal("200"), Decimal("1000"))


SCENARIOS: dict[str, Callable[[TradingStore, ControlsStore, str], None]] = {
    f.__name__: f
    for f in (
        open_twice,
        duplicate_put,
        fill_then_duplicate,
        stale_controls,
        stale_controls_refuse_a_second_writer,
        stale_controls_refuse_a_reservation,
        stale_position,
        insufficient_cash,
        reservations,
        fill_at_open,
        money_writes_move_the_version,
        release_of_a_sells_credit,
    )
}


# ------------------------------------------------------------------------------ snapshot store
CLOSE = datetime(2013, 1, 2, 21, tzinfo=UTC)


def snapshot(account_id: str, as_of: datetime, equity: str) -> Snapshot:
    value = Decimal(equity)
    return Snapshot(
        account_id=account_id,
        as_of=as_of,
        cash=value - Decimal("100.25"),
        equity=value,
        positions_value=Decimal("100.25"),
        gross_exposure=Decimal("100.25") / value,
    )


def snapshot_kept_once(snapshots: SnapshotStore, account_id: str) -> None:
    """A close is kept once: a second snapshot of it (a replay, a redelivered event) is refused."""
    first = snapshot(account_id, CLOSE, "10000")
    assert snapshots.put(first) is True
    assert snapshots.put(snapshot(account_id, CLOSE, "9000")) is False
    assert snapshots.query(account_id, CLOSE, CLOSE, 10) == [first]


def snapshot_after_fills_replaces_once(snapshots: SnapshotStore, account_id: str) -> None:
    """The fill step's snapshot replaces the schedule's taken before the fills, and only that one."""
    assert snapshots.put(snapshot(account_id, CLOSE, "10000")) is True
    after = snapshot(account_id, CLOSE, "10050.50")
    assert snapshots.put(after, after_fills=True) is True
    assert snapshots.put(snapshot(account_id, CLOSE, "1"), after_fills=True) is False
    assert snapshots.put(snapshot(account_id, CLOSE, "2")) is False
    assert snapshots.query(account_id, None, None, 10) == [after]
    # Taken after the fills first: nothing replaces it.
    later = CLOSE + timedelta(days=1)
    first = snapshot(account_id, later, "10100")
    assert snapshots.put(first, after_fills=True) is True
    assert snapshots.put(snapshot(account_id, later, "3")) is False
    assert snapshots.put(snapshot(account_id, later, "4"), after_fills=True) is False
    assert snapshots.query(account_id, later, later, 10) == [first]


def snapshot_query_range_and_limit(snapshots: SnapshotStore, account_id: str) -> None:
    """Inclusive bounds, open-ended when None; the most recent ``limit``, oldest first; one account."""
    closes = [CLOSE + timedelta(days=d) for d in range(5)]
    for i, at in reversed(list(enumerate(closes))):  # stored out of order
        assert snapshots.put(snapshot(account_id, at, str(10000 + i)))
    assert snapshots.put(snapshot(account_id + "-other", closes[2], "1"))
    equity = lambda found: [s.equity for s in found]  # noqa: E731 - a one-line reading
    assert equity(snapshots.query(account_id, None, None, 100)) == [10000 + i for i in range(5)]
    assert equity(snapshots.query(account_id, None, None, 2)) == [10003, 10004]
    assert equity(snapshots.query(account_id, closes[1], closes[3], 100)) == [10001, 10002, 10003]
    assert equity(snapshots.query(account_id, None, closes[1], 1)) == [10001]
    assert equity(snapshots.query(account_id, closes[4] + timedelta(seconds=1), None, 100)) == []
    assert snapshots.query(account_id + "-none", None, None, 100) == []


SNAPSHOT_SCENARIOS: dict[str, Callable[[SnapshotStore, str], None]] = {
    f.__name__: f for f in (snapshot_kept_once, snapshot_after_fills_replaces_once, snapshot_query_range_and_limit)
}
