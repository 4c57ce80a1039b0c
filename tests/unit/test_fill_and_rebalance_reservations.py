"""The reservations of the money path's other two steps, on the in-memory stores (tests/fakes): the
fill at the open (``fills.fill_session``) and the rebalance (``rebalance.rebalance``). A pending
order holds buying power until it ends; whatever ends it (a fill, a wait run out, the kill switch, a
redelivery) must give back exactly its own reservation, once. No emulator: milliseconds each.

Figures to the cent, by hand: 5 bps commission (half-up to the cent), 2 bps slippage (to 0.0001),
the default 2 % cash buffer and 1 % band."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fakes import InMemoryControlsStore, InMemoryTradingStore, money, order_dependencies
from fakes.contract import filled, new_order
from signal_fixtures import InMemoryBars

from order_service.logic.context import Dependencies
from order_service.logic.fills import fill_session
from order_service.logic.place_order import order_id_for
from order_service.logic.rebalance import order_key, rebalance
from tradeloop_common.dal.bars import Bars
from tradeloop_common.dal.controls import ControlsGuard
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.models import (
    Controls,
    Order,
    OrderStatus,
    RebalanceIntent,
    RiskLimits,
    Side,
    TimeInForce,
    TradingState,
)

ACCOUNT = "paper"
DECIDED = datetime(2013, 1, 2, 21, tzinfo=UTC)  # Wednesday's close: its orders trade at Thursday's open
THURSDAY = date(2013, 1, 3)
OPEN = datetime(2013, 1, 3, 14, 30, tzinfo=UTC)  # the official open, 9:30 in New York
LOOSE = RiskLimits(max_position_weight=Decimal("1"), max_gross_exposure=Decimal("4"))
D = Decimal


class Staged(InMemoryTradingStore):
    """The in-memory store, with a step run once before the next ``put_pending`` (another writer);
    reads that miss what earlier deliveries wrote (``blind``: the pending index and the batch read
    not caught up yet); and a pending listing as another step saw it (``listed``)."""

    def __init__(self, controls: InMemoryControlsStore) -> None:
        super().__init__(controls)
        self.before_put: Callable[[], None] | None = None
        self.blind = False
        self.listed: list[Order] | None = None
        self.puts: list[CommitOutcome] = []

    def put_pending(self, order: Order, guard: ControlsGuard | None = None) -> CommitOutcome:
        step, self.before_put = self.before_put, None
        if step is not None:
            step()
        outcome = super().put_pending(order, guard)
        self.puts.append(outcome)
        return outcome

    def list_pending(self, account_id: str, upto: date | None = None) -> list[Order]:
        if self.listed is not None:
            return self.listed
        return [] if self.blind else super().list_pending(account_id, upto)

    def get_orders(self, order_ids: list[str]) -> dict[str, Order]:
        return {} if self.blind else super().get_orders(order_ids)


def _bars(symbol: str, *days: tuple[date, str, str]) -> Bars:
    """Bars of (day, open, close)."""
    opens, closes = tuple(D(o) for _, o, _ in days), tuple(D(c) for _, _, c in days)
    return Bars(symbol, tuple(d for d, _, _ in days), opens, opens, closes, closes, (D(10**6),) * len(days))


# AAPL opens Thursday; MSFT's Thursday bar is not in the data (yet).
BARS = {
    "AAPL": _bars("AAPL", (date(2013, 1, 2), "99", "100"), (THURSDAY, "101", "102")),
    "MSFT": _bars("MSFT", (date(2013, 1, 2), "50", "50")),
}


def deps_with(cash: str, state: TradingState = TradingState.ACTIVE, **extra: Any) -> Dependencies:
    controls = InMemoryControlsStore()
    store = Staged(controls)
    store.open_account(ACCOUNT, D(cash))
    controls.put(ACCOUNT, Controls(trading_state=state, limits=LOOSE, updated_at=DECIDED), 0, "person:test", "set")
    return order_dependencies(store, InMemoryBars(BARS), ACCOUNT, DECIDED, **extra)


def staged(deps: Dependencies) -> Staged:
    assert isinstance(deps.store, Staged)
    return deps.store


def pending(deps: Dependencies, symbol: str, side: Side, quantity: int, reserved: str) -> Order:
    """A market-on-open order for Thursday, holding ``reserved`` (negative for a sell)."""
    order = new_order(
        ACCOUNT,
        side,
        quantity,
        OrderStatus.PENDING,
        symbol=symbol,
        session=THURSDAY,
        time_in_force=TimeInForce.OPG,
        reserved=D(reserved),
    )
    assert deps.store.put_pending(order) is CommitOutcome.COMMITTED
    return order


def hold(deps: Dependencies, symbol: str, quantity: int, price: str) -> None:
    """A position bought (and paid) before the test: ``quantity`` at ``price``, 5 bps."""
    order, before, effect = filled(deps.store, ACCOUNT, Side.BUY, quantity, D(price), symbol)
    assert deps.store.commit_fill(order, effect, before) is CommitOutcome.COMMITTED


def by_symbol(orders: list[Order]) -> dict[str, Order]:
    return {o.symbol: o for o in orders}


def stored(deps: Dependencies) -> list[Order]:
    found, _ = deps.store.list_orders(ACCOUNT, symbol=None, status=None, limit=100, next_token=None)
    return found


# ---------------------------------------------------------------------------- the fill at the open
def test_a_pending_buy_filled_at_the_open_releases_exactly_its_reservation_and_books_its_cost() -> None:
    deps = deps_with("10000")
    pending(deps, "AAPL", Side.BUY, 5, "520.00")
    pending(deps, "MSFT", Side.BUY, 3, "155.00")  # no Thursday bar: it waits, holding its own
    assert money(deps.store, ACCOUNT) == (D("10000"), D("9325.00"), D("675.00"))

    settled = by_symbol(fill_session(THURSDAY, deps))

    # 101 x 1.0002 = 101.0202; 5 of it 505.10; commission 0.25 (0.25255): 505.35
    aapl = settled["AAPL"]
    assert aapl.status is OrderStatus.FILLED and aapl.price_source == "open 2013-01-03"
    assert [(f.price, f.quantity, f.commission, f.filled_at) for f in aapl.fills] == [
        (D("101.0202"), 5, D("0.25"), OPEN)
    ]
    assert settled["MSFT"].status is OrderStatus.PENDING
    assert money(deps.store, ACCOUNT) == (D("9494.65"), D("9339.65"), D("155.00"))  # 520.00 back, 505.35 spent
    held = deps.store.get_position(ACCOUNT, "AAPL")
    assert (held.quantity, held.cost_basis) == (5, D("505.35"))


def test_a_pending_sell_filled_at_the_open_gives_back_its_negative_reservation_and_books_its_proceeds() -> None:
    deps = deps_with("10000")
    hold(deps, "AAPL", 10, "100")  # 1000.00 + 0.50
    pending(deps, "AAPL", Side.SELL, 10, "-980.00")  # a sell lends buying power until it fills
    assert money(deps.store, ACCOUNT) == (D("8999.50"), D("9979.50"), D("-980.00"))

    (sold,) = fill_session(THURSDAY, deps)

    # 101 x 0.9998 = 100.9798; 10 of it 1009.80; commission 0.50 (0.5049): 1009.30 in
    assert sold.status is OrderStatus.FILLED
    assert [(f.price, f.commission) for f in sold.fills] == [(D("100.9798"), D("0.50"))]
    assert money(deps.store, ACCOUNT) == (D("10008.80"), D("10008.80"), D("0.00"))
    closed = deps.store.get_position(ACCOUNT, "AAPL")
    assert (closed.quantity, closed.cost_basis, closed.realized_pnl) == (0, D("0"), D("8.80"))


def test_a_fill_step_run_twice_books_nothing_twice() -> None:
    deps = deps_with("10000")
    order = pending(deps, "AAPL", Side.BUY, 5, "520.00")
    first = fill_session(THURSDAY, deps)
    after = money(deps.store, ACCOUNT)

    again = fill_session(THURSDAY, deps)  # a redelivered "Session Bars Ingested"

    assert [o.status for o in first] == [OrderStatus.FILLED] and again == []
    assert money(deps.store, ACCOUNT) == after == (D("9494.65"), D("9494.65"), D("0.00"))
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 5
    # And a racing step that listed the order while it was PENDING: the store refuses its fill
    staged(deps).listed = [order]
    (seen,) = fill_session(THURSDAY, deps)
    assert seen.status is OrderStatus.FILLED and seen.fills == first[0].fills
    assert money(deps.store, ACCOUNT) == after
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 5


def test_an_order_without_its_bar_waits_then_expires_after_pending_max_sessions_and_its_reservation_comes_back() -> (
    None
):
    deps = deps_with("10000", pending_max_sessions=3)
    pending(deps, "MSFT", Side.BUY, 3, "155.00")
    held = (D("10000"), D("9845.00"), D("155.00"))

    # Thursday, Friday, Monday: 0, 1, 2 sessions after its own, each without its bar: it waits
    for session in (THURSDAY, date(2013, 1, 4), date(2013, 1, 7)):
        (waiting,) = fill_session(session, deps)
        assert waiting.status is OrderStatus.PENDING, session
        assert money(deps.store, ACCOUNT) == held, session
    # Tuesday: three sessions after it, none with its open: it expires, its 155.00 back
    (expired,) = fill_session(date(2013, 1, 8), deps)

    assert expired.status is OrderStatus.EXPIRED
    assert expired.reason == "no open for MSFT on 2013-01-03"
    assert money(deps.store, ACCOUNT) == (D("10000"), D("10000"), D("0"))
    assert deps.store.list_pending(ACCOUNT) == []
    assert fill_session(date(2013, 1, 9), deps) == []  # nothing comes back a second time
    assert money(deps.store, ACCOUNT) == (D("10000"), D("10000"), D("0"))


def test_the_kill_switch_thrown_before_the_open_cancels_a_pending_buy_and_returns_its_reservation() -> None:
    deps = deps_with("10000")
    hold(deps, "MSFT", 4, "50")  # 200.00 + 0.10
    pending(deps, "AAPL", Side.BUY, 5, "520.00")
    before = money(deps.store, ACCOUNT)
    assert before == (D("9799.90"), D("9279.90"), D("520.00"))
    current = deps.controls.get(ACCOUNT)
    halted = current.model_copy(update={"trading_state": TradingState.HALTED, "updated_at": DECIDED})
    deps.controls.put(ACCOUNT, halted, current.version, "person:ops", "stop")

    (cancelled,) = fill_session(THURSDAY, deps)

    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.reason == "the kill switch was HALTED before the open"
    assert cancelled.fills == []
    assert money(deps.store, ACCOUNT) == (D("9799.90"), D("9799.90"), D("0.00"))
    assert deps.store.get_position(ACCOUNT, "AAPL").quantity == 0


def test_the_kill_switch_cancels_a_pending_sell_whose_credit_buys_already_spent() -> None:
    """Sells are settled first: the sell's cancellation takes back buying power the pending buy
    spent (available goes below zero for a moment) and must not be refused for it; then the buy's
    cancellation gives its reservation back. Both end in one step, the book as before them."""
    deps = deps_with("1000")
    hold(deps, "MSFT", 10, "50")  # 500.00 + 0.25
    pending(deps, "MSFT", Side.SELL, 10, "-490.00")
    pending(deps, "AAPL", Side.BUY, 9, "969.00")  # on the sell's credit: 499.75 + 490.00 - 969.00 = 20.75
    assert money(deps.store, ACCOUNT) == (D("499.75"), D("20.75"), D("479.00"))
    current = deps.controls.get(ACCOUNT)
    halted = current.model_copy(update={"trading_state": TradingState.HALTED, "updated_at": DECIDED})
    deps.controls.put(ACCOUNT, halted, current.version, "person:ops", "stop")

    ended = fill_session(THURSDAY, deps)

    assert [(o.symbol, o.side, o.status) for o in ended] == [
        ("MSFT", Side.SELL, OrderStatus.CANCELLED),
        ("AAPL", Side.BUY, OrderStatus.CANCELLED),
    ]
    assert money(deps.store, ACCOUNT) == (D("499.75"), D("499.75"), D("0.00"))
    assert deps.store.list_pending(ACCOUNT) == []


# ----------------------------------------------------------------------------------- the rebalance
def intent(targets: dict[str, str], intent_id: str = "i-1") -> RebalanceIntent:
    return RebalanceIntent(
        intent_id=intent_id,
        session=date(2013, 1, 2),
        as_of=DECIDED,
        targets={s: D(w) for s, w in targets.items()},
    )


def test_a_rebalance_reserves_the_estimated_cost_with_the_buffer() -> None:
    deps = deps_with("10000")

    (order,) = rebalance(intent({"AAPL": "0.5"}), deps)

    # floor(0.5 x 0.98 x 10000 / 100) = 49; 100.02 x 49 = 4900.98; + 2 % = 4999.00; + 2.45 commission
    assert (order.status, order.side, order.quantity, order.session) == (OrderStatus.PENDING, Side.BUY, 49, THURSDAY)
    assert order.reserved == D("5001.45")
    assert money(deps.store, ACCOUNT) == (D("10000"), D("4998.55"), D("5001.45"))


def test_a_redelivered_rebalance_intent_creates_no_second_order_and_reserves_nothing_twice() -> None:
    deps = deps_with("10000")
    first = rebalance(intent({"AAPL": "0.5", "MSFT": "0.2"}), deps)
    after = money(deps.store, ACCOUNT)
    # MSFT: floor(0.2 x 0.98 x 10000 / 50) = 39; 50.01 x 39 = 1950.39; + 2 % = 1989.40; + 0.98
    assert after == (D("10000"), D("3008.17"), D("6991.83"))  # 5001.45 + 1990.38

    again = rebalance(intent({"AAPL": "0.5", "MSFT": "0.2"}), deps)  # the queue delivers it again

    assert again == []  # the plan counts the pending orders: the targets are met, nothing is planned
    assert money(deps.store, ACCOUNT) == after
    assert len(stored(deps)) == 2
    # Delivered again to an instance whose reads do not see the first orders yet: the store refuses
    staged(deps).blind = True
    blind = rebalance(intent({"AAPL": "0.5", "MSFT": "0.2"}), deps)
    # AAPL's repeat no longer fits the buying power its first delivery took: its rejection is not
    # stored over the order (the id exists); MSFT's fits, and the store refuses it as a DUPLICATE
    assert staged(deps).puts == [CommitOutcome.COMMITTED] * 2 + [CommitOutcome.DUPLICATE]
    assert blind == first
    assert money(deps.store, ACCOUNT) == after
    assert len(stored(deps)) == 2


# AAPL's 29 shares: 100.02 x 29 = 2900.58 + 1.45 commission = 2902.03; with the 2 % buffer 2960.04
@pytest.mark.parametrize(
    ("held_elsewhere", "reason"),
    [
        ("7600.00", "insufficient cash: need 2902.03, have 2400.00"),  # the risk check: not even the cost
        (
            "7070.00",  # the cost, but not the buffer on top of it
            "insufficient buying power: need 2960.04 (cost at the last close with slippage and the "
            "2% cash buffer), have 2930.00",
        ),
    ],
    ids=["below-the-cost", "below-the-buffer"],
)
def test_a_rebalance_buy_beyond_the_buying_power_is_rejected_and_reserves_nothing(
    held_elsewhere: str, reason: str
) -> None:
    deps = deps_with("10000")
    pending(deps, "MSFT", Side.BUY, 140, held_elsewhere)  # another session's order holds most of the cash
    before = money(deps.store, ACCOUNT)
    assert before == (D("10000"), D("10000") - D(held_elsewhere), D(held_elsewhere))

    (rejected,) = rebalance(intent({"AAPL": "0.3"}), deps)

    # equity 10000 (MSFT is pending, not held): floor(0.3 x 0.98 x 10000 / 100) = 29 shares
    assert rejected.status is OrderStatus.REJECTED and rejected.quantity == 29
    assert rejected.reason == reason
    assert rejected.reserved == D("0")
    assert money(deps.store, ACCOUNT) == before
    assert [o.symbol for o in deps.store.list_pending(ACCOUNT)] == ["MSFT"]
    # Delivered again: the stored rejection, nothing reserved
    assert rebalance(intent({"AAPL": "0.3"}), deps) == [rejected]
    assert money(deps.store, ACCOUNT) == before
    assert len(stored(deps)) == 2


def test_buying_power_taken_between_the_rebalance_check_and_its_booking_rejects_the_order() -> None:
    deps = deps_with("10000")
    store = staged(deps)
    store.before_put = lambda: pending(deps, "MSFT", Side.BUY, 100, "6000.00")

    (rejected,) = rebalance(intent({"AAPL": "0.5"}), deps)

    assert store.puts == [CommitOutcome.COMMITTED, CommitOutcome.INSUFFICIENT_CASH]  # the other's, then ours
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reason == "insufficient buying power when it was booked"
    assert money(deps.store, ACCOUNT) == (D("10000"), D("4000.00"), D("6000.00"))  # the other order's reservation only


def test_the_kill_switch_thrown_during_a_rebalance_wins_and_nothing_is_reserved() -> None:
    deps = deps_with("10000")

    def halt() -> None:
        current = deps.controls.get(ACCOUNT)
        update = {"trading_state": TradingState.HALTED, "updated_at": DECIDED}
        deps.controls.put(ACCOUNT, current.model_copy(update=update), current.version, "person:ops", "stop")

    staged(deps).before_put = halt

    placed = rebalance(intent({"AAPL": "0.5"}), deps)

    assert staged(deps).puts == [CommitOutcome.CONFLICT]  # planned under ACTIVE, guarded by that version
    assert placed == []  # planned again under HALTED: nothing
    assert money(deps.store, ACCOUNT) == (D("10000"), D("10000"), D("0"))
    assert stored(deps) == []
    assert deps.store.get_order(order_id_for(ACCOUNT, order_key(intent({}), "AAPL"))) is None


@pytest.mark.parametrize("state", [TradingState.HALTED, TradingState.REDUCE_ONLY])
def test_a_rebalance_under_a_stopped_state_plans_no_buy(state: TradingState) -> None:
    deps = deps_with("10000", state)

    assert rebalance(intent({"AAPL": "0.5"}), deps) == []
    assert money(deps.store, ACCOUNT) == (D("10000"), D("10000"), D("0"))
