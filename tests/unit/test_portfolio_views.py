"""The portfolio service's logic on its Dependencies, with the in-memory stores (tests/fakes): the
marked portfolio, the scheduled snapshot (kept once per close), the history with its benchmark, and
health naming the AWS error code behind a store's failure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from fakes import InMemorySnapshotStore, InMemoryTradingStore
from fakes.contract import filled
from signal_fixtures import InMemoryBars

from portfolio_service.logic import views
from portfolio_service.logic.context import Dependencies
from tradeloop_common.clock import FixedClock
from tradeloop_common.dal.bars import Bars
from tradeloop_common.dal.trading import CommitOutcome
from tradeloop_common.errors import NotFoundError, StoreError
from tradeloop_common.models import Side

ACCOUNT = "paper"
DAYS = (date(2013, 1, 2), date(2013, 1, 3))
D = Decimal


def _bars(symbol: str, *closes: str) -> Bars:
    px = tuple(D(c) for c in closes)
    return Bars(symbol, DAYS, px, px, px, px, (D(1000),) * len(px))


def deps_with(store: InMemoryTradingStore | None = None, live: Callable[[], str | None] = lambda: "v1") -> Dependencies:
    if store is None:
        store = InMemoryTradingStore()
        store.open_account(ACCOUNT, D("10000"))
        order, before, effect = filled(store, ACCOUNT, Side.BUY, 10, D("100"))  # 1000.00 + 0.50
        assert store.commit_fill(order, effect, before) is CommitOutcome.COMMITTED
    return Dependencies(
        store=store,
        snapshots=InMemorySnapshotStore(),
        bars=InMemoryBars({"IBM": _bars("IBM", "100", "110"), "MSFT": _bars("MSFT", "50", "45")}),  # type: ignore[arg-type]
        account_id=ACCOUNT,
        live_model_version=live,
        code_version="test",
        clock=FixedClock(datetime(2013, 1, 3, 22, tzinfo=UTC)),
    )


def at_close(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 21, tzinfo=UTC)


def test_the_portfolio_is_marked_at_the_clock_and_a_position_without_shares_is_not_found() -> None:
    deps = deps_with()

    portfolio = views.current_portfolio(deps)

    assert (portfolio.cash, portfolio.equity) == (D("8999.50"), D("10099.50"))  # 10 IBM at 110
    assert views.one_position("IBM", deps).quantity == 10
    with pytest.raises(NotFoundError):
        views.one_position("MSFT", deps)


def test_a_scheduled_snapshot_is_kept_once_and_the_history_carries_the_benchmark() -> None:
    deps = deps_with()
    first = views.take_snapshot(at_close(DAYS[0]), deps)
    views.take_snapshot(at_close(DAYS[1]), deps)
    views.take_snapshot(at_close(DAYS[0]), deps)  # the same close again (a replay): the first stands

    history = views.history(None, None, 100, deps)

    assert [(s.as_of, s.equity) for s in history.snapshots] == [
        (at_close(DAYS[0]), D("9999.50")),
        (at_close(DAYS[1]), D("10099.50")),
    ]
    assert history.snapshots[0] == first
    # Half in IBM (+10 %), half in MSFT (-10 %), from the first snapshot's equity
    assert history.benchmark is not None and history.benchmark.symbols == ["IBM", "MSFT"]
    assert [p.equity for p in history.benchmark.points] == [D("9999.50"), D("9999.50")]


class _Denied(InMemoryTradingStore):
    def get_cash(self, account_id: str) -> Decimal | None:
        denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetItem")
        raise StoreError(f"reading the cash of {account_id} failed") from denied


def _model_denied() -> str | None:
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject")
    raise StoreError("reading models/tradeloop/LATEST failed") from denied


def test_health_is_ok_with_the_account_and_names_the_live_model() -> None:
    health = views.health(deps_with())

    assert (health.status, health.model_version, health.code_version) == ("ok", "v1", "test")
    assert health.checks == {"accounts_table": "ok", "model": "ok"}


def test_health_names_the_aws_code_behind_a_store_error() -> None:
    health = views.health(deps_with(_Denied(), _model_denied))

    assert health.status == "degraded"
    assert health.checks == {
        "accounts_table": "error: AccessDeniedException: no",
        "model": "error: AccessDenied: Access Denied",
    }
    assert (health.code_version, health.account_id, health.model_version) == ("test", ACCOUNT, None)
