"""Mark the account to market at a point in time: shared by the portfolio view, the risk checks
and the equity snapshots, so all three agree on equity."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from tradeloop_common.accounting import value_portfolio
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.dal.trading import TradingStore
from tradeloop_common.errors import UnknownSymbolError
from tradeloop_common.models import Portfolio, Position, Snapshot
from tradeloop_common.money import cents

MARKET_CLOSE_UTC = time(21, 0)


def close_of(day: date) -> datetime:
    """A bar's close as a timestamp (21:00 UTC is after the US close all year)."""
    return datetime.combine(day, MARKET_CLOSE_UTC, tzinfo=UTC)


def last_prices(
    bars: BarsRepository, positions: list[Position], as_of: datetime, fresh_since: float | None = None
) -> dict[str, Decimal | None]:
    """Each position's close on or before ``as_of`` (None without one): a one-bar window of each
    series, read in parallel, so marking a 500-symbol book costs 500 small reads at once (none for
    a series read since ``fresh_since``, see BarsRepository.window)."""
    windows = bars.windows([p.symbol for p in positions], as_of.date(), 1, fresh_since)
    prices: dict[str, Decimal | None] = {}
    for pos in positions:
        found = windows[pos.symbol]
        last = None if isinstance(found, UnknownSymbolError) else found.last_close(as_of)
        prices[pos.symbol] = last[1] if last else None
    return prices


def portfolio_at(
    store: TradingStore, bars: BarsRepository, account_id: str, as_of: datetime, fresh_since: float | None = None
) -> Portfolio:
    state = store.get_cash_state(account_id)
    positions = store.get_positions(account_id)
    marks = last_prices(bars, positions, as_of, fresh_since)
    portfolio = value_portfolio(account_id, as_of, state.cash if state else Decimal(0), positions, marks)
    if state is None:
        return portfolio
    return portfolio.model_copy(update={"buying_power": cents(state.available), "reserved": cents(state.reserved)})


def snapshot_of(portfolio: Portfolio) -> Snapshot:
    return Snapshot(
        account_id=portfolio.account_id,
        as_of=portfolio.as_of,
        cash=portfolio.cash,
        equity=portfolio.equity,
        positions_value=portfolio.positions_value,
        gross_exposure=portfolio.gross_exposure,
    )
