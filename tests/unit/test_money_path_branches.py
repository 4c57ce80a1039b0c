"""The money path's branches, through the order logic's own entry point (``place_order``) on the
in-memory stores (tests/fakes): a repeat, a conflicting repeat, insufficient cash (at the risk
check and at the commit), the kill switch thrown between the risk check and the commit, and two
requests racing for the last affordable order. No emulator, no network: milliseconds each.

The races are staged, not hoped for: a store whose ``commit_fill`` runs a step first (another
writer's) or waits at a barrier until both requests are there."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fakes import InMemoryControlsStore, InMemoryTradingStore, money, order_dependencies
from signal_fixtures import InMemoryBars

from order_service.logic.context import Dependencies
from order_service.logic.place_order import OrderTicket, order_id_for, place_order
from tradeloop_common.accounting import FillEffect
from tradeloop_common.dal.bars import Bars
from tradeloop_common.dal.controls import ControlsGuard
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.errors import ConflictError
from tradeloop_common.models import Controls, Order, OrderStatus, Position, RiskLimits, Side, TradingState
from tradeloop_common.money import cents

ACCOUNT = "paper"
AS_OF = datetime(2013, 1, 2, 21, tzinfo=UTC)
DAY = date(2013, 1, 2)
# One symbol may take the whole account: the tests reach the cash checks, not the weight limits.
LOOSE = RiskLimits(max_position_weight=Decimal("1"), max_gross_exposure=Decimal("4"))


class StagedStore(InMemoryTradingStore):
    """The in-memory store, with a step run just before each ``commit_fill`` (``before_commit``,
    e.g. another writer's), ``get_order`` missing the next ``blind`` reads (the order a racing
    request placed just after this one looked), and the commits counted."""

    def __init__(self, controls: InMemoryControlsStore) -> None:
        super().__init__(controls)
        self.before_commit: Callable[[], None] | None = None
        self.blind = 0
        self.commits: list[CommitOutcome] = []

    def get_order(self, order_id: str) -> Order | None:
        if self.blind:
            self.blind -= 1
            return None
        return super().get_order(order_id)

    def commit_fill(
        self, order: Order, effect: FillEffect, before: Position, guard: ControlsGuard | None = None
    ) -> CommitOutcome:
        if self.before_commit is not None:
            self.before_commit()
        outcome = super().commit_fill(order, effect, before, guard)
        with self.lock:
            self.commits.append(outcome)
        return outcome


def _bars(symbol: str, close: str) -> Bars:
    px = Decimal(close)
    return Bars(symbol, (DAY,), (px,), (px,), (px,), (px,), (Decimal(10**6),))


def deps_with(cash: str, **prices: str) -> Dependencies:
    """An account holding ``cash`` under loose limits, on bars closing at ``prices`` on DAY."""
    controls = InMemoryControlsStore()
    store = StagedStore(controls)
    store.open_account(ACCOUNT, Decimal(cash))
    controls.put(ACCOUNT, Controls(limits=LOOSE, updated_at=AS_OF), 0, "person:test", "loose limits")
    return order_dependencies(store, InMemoryBars({s: _bars(s, p) for s, p in prices.items()}), ACCOUNT, AS_OF)


def staged(deps: Dependencies) -> StagedStore:
    assert isinstance(deps.store, StagedStore)
    return deps.store


def cash(deps: Dependencies) -> tuple[Decimal, Decimal, Decimal]:
    return money(deps.store, ACCOUNT)


def cost(order: Order) -> Decimal:
    """What a filled buy took: notional to the cent plus commission."""
    return sum((cents(f.price * f.quantity) + f.commission for f in order.fills), Decimal(0))


def buy(key: str, quantity: int, symbol: str = "AAPL") -> OrderTicket:
    return OrderTicket(client_order_id=key, symbol=symbol, side=Side.BUY, quantity=quantity)


def orders(deps: Dependencies) -> list[Order]:
    found, _ = deps.store.list_orders(ACCOUNT, symbol=None, status=None, limit=100, next_token=None)
    return found


# ------------------------------------------------------------------------------------ duplicates
def test_a_repeat_returns_the_stored_order_and_moves_no_cash() -> None:
    deps = deps_with("10000", AAPL="100")
    first = place_order(buy("k-1", 10), AS_OF, deps)
    assert first.status is OrderStatus.FILLED
    after_first = cash(deps)
    assert after_first[0] == Decimal("10000") - cost(first) == Decimal("8999.30")  # 1000.20 + 0.50

    again = place_order(buy("k-1", 10), AS_OF, deps)

    assert again == first
    assert cash(deps) == after_first
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 10
    assert [o.order_id for o in orders(deps)] == [first.order_id]
    assert staged(deps).commits == [CommitOutcome.COMMITTED]  # the repeat never reached the commit


def test_a_repeat_the_first_read_missed_is_refused_by_the_store_and_answered_with_the_stored_order() -> None:
    deps = deps_with("10000", AAPL="100")
    first = place_order(buy("k-1", 10), AS_OF, deps)
    after_first = cash(deps)
    staged(deps).blind = 1  # a racing request: it looked before the first was stored

    again = place_order(buy("k-1", 10), AS_OF, deps)

    assert again == first
    assert staged(deps).commits == [CommitOutcome.COMMITTED, CommitOutcome.DUPLICATE]
    assert cash(deps) == after_first
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 10


@pytest.mark.parametrize("missed", [0, 1], ids=["seen-at-once", "seen-by-the-store"])
def test_the_same_key_for_a_different_order_is_refused(missed: int) -> None:
    deps = deps_with("10000", AAPL="100", MSFT="50")
    first = place_order(buy("k-1", 10), AS_OF, deps)
    after_first = cash(deps)
    staged(deps).blind = missed

    with pytest.raises(ConflictError) as refused:
        place_order(buy("k-1", 11), AS_OF, deps)

    assert refused.value.status == 409
    assert refused.value.details[0]["existing_order_id"] == first.order_id  # type: ignore[index]
    assert cash(deps) == after_first
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 10
    assert [o.order_id for o in orders(deps)] == [first.order_id]
    with pytest.raises(ConflictError):  # another symbol under the key: refused as well
        place_order(buy("k-1", 10, "MSFT"), AS_OF, deps)
    assert deps.store.get_position(ACCOUNT, "MSFT").quantity == 0


# ------------------------------------------------------------------------------ insufficient cash
def test_insufficient_cash_at_the_risk_check_is_rejected_with_the_reason_and_moves_nothing() -> None:
    deps = deps_with("11000", AAPL="100", MSFT="100")
    held = place_order(buy("k-1", 100, "MSFT"), AS_OF, deps)  # 10002.00 + 5.00: 993.00 left
    assert held.status is OrderStatus.FILLED
    before = cash(deps)
    assert before == (Decimal("993.00"),) * 2 + (Decimal(0),)

    rejected = place_order(buy("k-2", 20), AS_OF, deps)  # 2000.40 + 1.00

    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reason == "insufficient cash: need 2001.40, have 993.00"
    assert rejected.fills == []
    assert cash(deps) == before
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 0
    assert deps.store.get_order(order_id_for(ACCOUNT, "k-2")) == rejected  # stored, REJECTED
    assert place_order(buy("k-2", 20), AS_OF, deps) == rejected  # and answered again on a repeat
    assert cash(deps) == before


def test_cash_spent_between_the_risk_check_and_the_commit_rejects_the_order() -> None:
    deps = deps_with("1000", AAPL="100", MSFT="100")
    store = staged(deps)
    taken: list[Order] = []

    def another_request_spends_it() -> None:
        store.before_commit = None
        taken.append(place_order(buy("other", 6, "MSFT"), AS_OF, deps))

    store.before_commit = another_request_spends_it

    late = place_order(buy("k-1", 6), AS_OF, deps)

    assert taken[0].status is OrderStatus.FILLED
    assert store.commits == [CommitOutcome.COMMITTED, CommitOutcome.INSUFFICIENT_CASH]
    assert late.status is OrderStatus.REJECTED
    assert late.reason == "insufficient buying power: need 600.42, have less when the fill was booked"
    left = Decimal("1000") - cost(taken[0])
    assert cash(deps) == (left, left, Decimal(0)) and left == Decimal("399.58")
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 0


# ------------------------------------------------------------------------- the controls' version
def _change_controls(deps: Dependencies, **update: Any) -> Callable[[], None]:
    """A step that writes the controls once (a person at the API), at the version it reads."""

    def write() -> None:
        staged(deps).before_commit = None
        current = deps.controls.get(ACCOUNT)
        deps.controls.put(
            ACCOUNT, current.model_copy(update={**update, "updated_at": AS_OF}), current.version, "person:ops", "test"
        )

    return write


def test_the_kill_switch_thrown_between_the_risk_check_and_the_commit_wins() -> None:
    deps = deps_with("10000", AAPL="100")
    controls = deps.controls
    assert isinstance(controls, InMemoryControlsStore)
    staged(deps).before_commit = _change_controls(deps, trading_state=TradingState.HALTED)
    reads = controls.reads

    order = place_order(buy("k-1", 10), AS_OF, deps)

    assert staged(deps).commits == [CommitOutcome.CONFLICT]  # the guard saw the new version
    assert controls.reads - reads == 3  # the order's read, the switch's read, the order's re-read
    assert order.status is OrderStatus.REJECTED
    assert order.reason == "trading is HALTED by the kill switch"
    assert cash(deps) == (Decimal("10000"), Decimal("10000"), Decimal(0))
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 0


def test_a_controls_change_that_still_allows_the_order_retries_and_fills_once() -> None:
    deps = deps_with("10000", AAPL="100")
    staged(deps).before_commit = _change_controls(
        deps, limits=LOOSE.model_copy(update={"max_daily_loss": Decimal("0.1")})
    )

    order = place_order(buy("k-1", 10), AS_OF, deps)

    assert staged(deps).commits == [CommitOutcome.CONFLICT, CommitOutcome.COMMITTED]
    assert order.status is OrderStatus.FILLED
    assert cash(deps)[0] == Decimal("10000") - cost(order)
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 10


# ---------------------------------------------------------------------------------------- races
def test_two_requests_racing_for_the_last_affordable_order_fill_exactly_one() -> None:
    deps = deps_with("1000", AAPL="100")
    store = staged(deps)
    both_read = threading.Barrier(2, timeout=5)
    store.before_commit = both_read.wait  # each has passed its risk check on 1000 of cash

    with ThreadPoolExecutor(2) as pool:
        placed = list(pool.map(lambda key: place_order(buy(key, 6), AS_OF, deps), ["r-1", "r-2"]))

    assert sorted(store.commits) == sorted([CommitOutcome.COMMITTED, CommitOutcome.INSUFFICIENT_CASH])
    filled = [o for o in placed if o.status is OrderStatus.FILLED]
    rejected = [o for o in placed if o.status is OrderStatus.REJECTED]
    assert len(filled) == 1 and len(rejected) == 1
    assert (rejected[0].reason or "").startswith("insufficient buying power")
    left = Decimal("1000") - cost(filled[0])
    assert cash(deps) == (left, left, Decimal(0)) and left == Decimal("399.58")
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 6


def test_many_racing_buys_never_spend_more_than_the_cash_to_the_cent() -> None:
    deps = deps_with("5000", AAPL="100", MSFT="37.13")
    tickets = [buy(f"m-{i}", 3 + i % 4, "AAPL" if i % 2 else "MSFT") for i in range(24)]

    with ThreadPoolExecutor(8) as pool:
        placed = list(pool.map(lambda t: place_order(t, AS_OF, deps), tickets))

    filled = [o for o in placed if o.status is OrderStatus.FILLED]
    spent = sum((cost(o) for o in filled), Decimal(0))
    money, available, reserved = cash(deps)
    assert money == available == Decimal("5000") - spent >= 0
    assert reserved == 0
    assert 0 < len(filled) < len(tickets)  # the cash ran out part-way
    for symbol in ("AAPL", "MSFT"):
        held = sum(o.quantity for o in filled if o.symbol == symbol)
        assert deps.store.get_position(ACCOUNT, symbol).quantity == held
    assert all((o.reason or "").startswith("insufficient") for o in placed if o.status is OrderStatus.REJECTED)
    assert len(orders(deps)) == len(tickets)
