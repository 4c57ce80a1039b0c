"""The reconciliation compares the book with its counterpart as of one moment.

Found by `make reliability` (issue 12): the fill step's reconciliation read the ledger (every
order), then the account's CASH item, while the order function was still placing a rebalance's
pending sells. The CASH item already held their reservations, the ledger it had read did not:
"reserved ours -89479.05 broker 0.00", and trading HALTED on a book that was right. The same race
with a manual order filled in between shows as a cash and a position difference.

The interleavings are staged on the in-memory stores (tests/fakes): another writer's step runs in
the middle of the reconciliation's reads, once the ledger has read its first page. A real difference (a book
changed behind the ledger's back) must still be found and still halt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fakes import InMemoryControlsStore, InMemoryTradingStore, order_dependencies
from signal_fixtures import InMemoryBars

from order_service.logic import reconcile as reconcile_module
from order_service.logic.context import Dependencies
from order_service.logic.reconcile import reconcile
from tradeloop_common.accounting import apply_fill
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.errors import StoreError
from tradeloop_common.models import Controls, Fill, Order, OrderStatus, Side, TimeInForce, TradingState

ACCOUNT = "paper"
AT = datetime(2013, 1, 2, 21, tzinfo=UTC)
SESSION = date(2013, 1, 2)
BPS = Decimal("5")


@pytest.fixture(autouse=True)
def _no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reconcile_module, "READ_PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(reconcile_module, "RECHECK_SECONDS", 0.0)


class InterleavedStore(InMemoryTradingStore):
    """The in-memory store; ``during_ledger`` runs once each time the ledger has read its first
    page of orders (``list_orders``): another writer, between the reconciliation's reads."""

    def __init__(self, controls: InMemoryControlsStore) -> None:
        super().__init__(controls)
        self.during_ledger: list[Callable[[], None]] = []
        self.lagging = 0  # listings that miss the newest order (an index not yet caught up)

    def list_orders(self, account_id: str, **kwargs: object) -> tuple[list[Order], str | None]:  # type: ignore[override]
        page = super().list_orders(account_id, **kwargs)  # type: ignore[arg-type]
        if self.lagging and kwargs.get("next_token") is None:
            self.lagging -= 1
            page = (page[0][1:], page[1])  # newest first: the one the index has not caught up with
        if kwargs.get("next_token") is None and self.during_ledger:
            self.during_ledger.pop(0)()
        return page


def _deps() -> tuple[Dependencies, InterleavedStore]:
    controls = InMemoryControlsStore()
    store = InterleavedStore(controls)
    store.open_account(ACCOUNT, Decimal("100000"))
    controls.put(ACCOUNT, Controls(updated_at=AT), 0, "person:test", "open")
    return order_dependencies(store, InMemoryBars({}), ACCOUNT, AT), store


def _order(key: str, side: Side, quantity: int, status: OrderStatus, **extra: Any) -> Order:
    return Order(
        order_id=f"{ACCOUNT}-{key}",
        client_order_id=key,
        account_id=ACCOUNT,
        symbol="IBM",
        side=side,
        quantity=quantity,
        status=status,
        as_of=AT,
        created_at=AT,
        **extra,
    )


def _manual_buy(store: InterleavedStore, key: str, quantity: int, price: str) -> None:
    before = store.get_position(ACCOUNT, "IBM")
    effect = apply_fill(before, Side.BUY, quantity, Decimal(price), BPS)
    fill = Fill(price=Decimal(price), quantity=quantity, commission=effect.commission, filled_at=AT)
    order = _order(key, Side.BUY, quantity, OrderStatus.FILLED, fills=[fill])
    assert store.commit_fill(order, effect, before) is CommitOutcome.COMMITTED


def _pending_sell(store: InterleavedStore, key: str, quantity: int, credit: str) -> None:
    # A pending sell gives buying power: its reservation is negative.
    order = _order(
        key,
        Side.SELL,
        quantity,
        OrderStatus.PENDING,
        session=date(2013, 1, 3),
        time_in_force=TimeInForce.OPG,
        reserved=-Decimal(credit),
    )
    assert store.put_pending(order) is CommitOutcome.COMMITTED


def _state(deps: Dependencies) -> TradingState:
    return deps.controls.get(ACCOUNT).trading_state


def test_a_rebalance_placing_sells_during_the_reconciliation_is_no_difference() -> None:
    deps, store = _deps()
    _manual_buy(store, "m-1", 100, "100")
    store.during_ledger.append(lambda: _pending_sell(store, "signal-sell", 60, "5997.00"))

    result = reconcile(SESSION, deps)

    assert result.differences == [], result.differences
    assert not result.halted
    assert _state(deps) is TradingState.ACTIVE
    state = store.get_cash_state(ACCOUNT)
    assert state is not None and state.reserved == Decimal("-5997.00")  # the sell's reservation is there


def test_a_manual_fill_during_the_reconciliation_is_no_difference() -> None:
    deps, store = _deps()
    _manual_buy(store, "m-1", 10, "100")
    store.during_ledger.append(lambda: _manual_buy(store, "m-2", 5, "101"))

    result = reconcile(SESSION, deps)

    assert result.differences == [], result.differences
    assert _state(deps) is TradingState.ACTIVE
    assert store.get_position(ACCOUNT, "IBM").quantity == 15


def test_a_book_changed_behind_the_ledger_is_still_found_and_halts() -> None:
    """Cash the orders cannot explain (written without an order): a real difference, found on a
    quiet read, stored, and trading HALTED."""
    deps, store = _deps()
    _manual_buy(store, "m-1", 10, "100")
    with store.lock:
        store._cash[ACCOUNT]["cash"] += Decimal("250")  # noqa: SLF001 - a book nobody can explain

    result = reconcile(SESSION, deps)

    assert [(d.what, d.ours - d.theirs) for d in result.differences] == [("cash", Decimal("250.00"))]
    assert result.halted and _state(deps) is TradingState.HALTED
    assert store.latest_reconciliation(ACCOUNT) == result


def test_an_index_that_lags_a_write_is_looked_at_again_before_any_verdict() -> None:
    """DynamoDB's order indexes are eventually consistent: a fill committed just before may be
    missing from the ledger's first listing. The second look finds it."""
    deps, store = _deps()
    _manual_buy(store, "m-1", 10, "100")
    _manual_buy(store, "m-2", 5, "101")
    store.lagging = 1

    result = reconcile(SESSION, deps)

    assert store.lagging == 0  # the first look did miss it
    assert result.differences == [] and _state(deps) is TradingState.ACTIVE


def test_an_index_that_lags_both_looks_is_a_difference() -> None:
    deps, store = _deps()
    _manual_buy(store, "m-1", 10, "100")
    _manual_buy(store, "m-2", 5, "101")
    store.lagging = 2

    result = reconcile(SESSION, deps)

    assert [d.what for d in result.differences] == ["cash", "available", "position:IBM"]
    assert _state(deps) is TradingState.HALTED


def test_an_account_that_never_stops_moving_is_an_error_not_a_verdict() -> None:
    """No quiet moment in ``READ_ATTEMPTS`` reads: the step fails (and is retried) rather than halt
    trading, or pass it, on reads of different moments."""
    deps, store = _deps()
    _manual_buy(store, "m-0", 1, "100")
    store.during_ledger.extend(
        (lambda k=k: _manual_buy(store, f"m-{k}", 1, "100")) for k in range(1, reconcile_module.READ_ATTEMPTS + 1)
    )

    with pytest.raises(StoreError, match="kept changing"):
        reconcile(SESSION, deps)

    assert store.latest_reconciliation(ACCOUNT) is None  # nothing stored on reads of different moments
    assert _state(deps) is TradingState.ACTIVE
