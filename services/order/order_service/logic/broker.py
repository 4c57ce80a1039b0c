"""The paper broker's reference price: what a market order would have traded at."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from tradeloop_common.dal.bars import Bars
from tradeloop_common.errors import UnprocessableError

MARKET_OPEN_UTC = time(14, 30)


def reference_price(bars: Bars, as_of: datetime, now: datetime) -> tuple[Decimal, datetime]:
    """(price, filled_at), from market data only. A decision taken at ``as_of`` fills at the next
    open when the data holds it (replay, and the backtest's convention); live, the next open is not
    known yet, so the paper broker fills at the latest close."""
    nxt = bars.next_open(as_of)
    if nxt is not None:
        return nxt[1], datetime.combine(nxt[0], MARKET_OPEN_UTC, tzinfo=UTC)
    last = bars.last_close(as_of)
    if last is None:
        raise UnprocessableError(
            f"no price for {bars.symbol} at {as_of.date()}",
            [{"field": "symbol", "fix": "market data starts later; ingest older bars for this symbol"}],
        )
    return last[1], now
