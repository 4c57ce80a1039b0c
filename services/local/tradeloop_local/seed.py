"""Seed the demo: daily bars of the public-domain sample (bokeh_sampledata.stocks), an account
with cash, and default controls."""

from __future__ import annotations

from decimal import Decimal

from tradeloop_common.dal.bars import BarsRepository, format_bars
from tradeloop_common.dal.trading import get_trading_store
from tradeloop_common.settings import get_settings

SAMPLE_SYMBOLS = ("AAPL", "GOOG", "IBM", "MSFT")
DEFAULT_CASH = Decimal("100000")


def sample_bars(symbol: str) -> str:
    from bokeh_sampledata import stocks

    data = getattr(stocks, symbol)
    rows = sorted(
        zip(data["date"], data["open"], data["high"], data["low"], data["close"], data["volume"], strict=True)
    )
    return format_bars([(d, o, h, lo, c, int(v)) for d, o, h, lo, c, v in rows])


def seed_bars(symbols: tuple[str, ...] = SAMPLE_SYMBOLS) -> list[str]:
    bars = BarsRepository(get_settings().data_bucket)
    for symbol in symbols:
        bars.put(symbol, sample_bars(symbol))
    return list(symbols)


def seed_account(cash: Decimal = DEFAULT_CASH) -> bool:
    return get_trading_store().open_account(get_settings().account_id, cash)
