"""What a manual market order trades at on the paper broker: the latest price the data has."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tradeloop_common.dal.bars import Bars
from tradeloop_common.errors import UnprocessableError


def latest_price(bars: Bars, as_of: datetime) -> tuple[date, Decimal]:
    """(session, close) of the latest bar on or before ``as_of``. Orders a signal decides wait for
    the next session's open instead (fills.py)."""
    last = bars.last_close(as_of)
    if last is None:
        raise UnprocessableError(
            f"no price for {bars.symbol} at {as_of.date()}",
            [{"field": "symbol", "fix": "market data starts later; ingest older bars for this symbol"}],
        )
    return last
