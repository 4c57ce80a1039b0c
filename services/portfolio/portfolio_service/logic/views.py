"""Read models of the account: the marked portfolio, one position, the equity history, health."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from portfolio_service.models.output import Health, History
from tradeloop_common.clock import Clock, SystemClock
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.dal.registry import read_live_version
from tradeloop_common.dal.snapshots import get_snapshot_store
from tradeloop_common.dal.trading import get_trading_store
from tradeloop_common.errors import NotFoundError, UnprocessableError
from tradeloop_common.models import Portfolio, PositionView, Snapshot
from tradeloop_common.settings import get_settings
from tradeloop_common.valuation import portfolio_at, snapshot_of

CLOCK: Clock = SystemClock()


@lru_cache
def _bars() -> BarsRepository:
    return BarsRepository(get_settings().data_bucket)


def current_portfolio(as_of: datetime | None = None) -> Portfolio:
    settings = get_settings()
    return portfolio_at(get_trading_store(), _bars(), settings.account_id, as_of or CLOCK.now())


def one_position(symbol: str) -> PositionView:
    portfolio = current_portfolio()
    for view in portfolio.positions:
        if view.symbol == symbol:
            return view
    raise NotFoundError(f"no position in {symbol}", [{"field": "symbol", "fix": "see GET /portfolio for held symbols"}])


def history(start: datetime | None, end: datetime | None, limit: int) -> History:
    if start and end and start > end:
        raise UnprocessableError("'from' is after 'to'", [{"field": "from", "fix": "pass from <= to"}])
    settings = get_settings()
    return History(
        account_id=settings.account_id, snapshots=get_snapshot_store().query(settings.account_id, start, end, limit)
    )


def take_snapshot(as_of: datetime | None) -> Snapshot:
    snapshot = snapshot_of(current_portfolio(as_of))
    get_snapshot_store().put(snapshot)
    return snapshot


def health() -> Health:
    settings = get_settings()
    checks: dict[str, str] = {}
    try:
        cash = get_trading_store().get_cash(settings.account_id)
        checks["accounts_table"] = "ok" if cash is not None else "account not seeded"
    except Exception as exc:  # health reports, it does not fail
        checks["accounts_table"] = f"error: {type(exc).__name__}"
    try:
        model_version = read_live_version(settings.models_bucket, settings.model_name)
        checks["model"] = "ok" if model_version else "no model published yet (run: make train-and-publish)"
    except Exception as exc:
        model_version = None
        checks["model"] = f"error: {type(exc).__name__}"
    status = "ok" if checks.get("accounts_table") == "ok" else "degraded"
    return Health(
        status=status,
        service="portfolio",
        code_version=settings.code_version,
        model_version=model_version,
        account_id=settings.account_id,
        checks=checks,
    )
