"""The out-of-sample book of a trading policy: every symbol in one account, sized as live sizes it.

What the walk-forward compares. It trades the way the order service rebalances
(tradeloop_common.execution), with fractional shares: at each close every symbol is brought to
``target x equity x (1 - cash_buffer) / close`` shares, at the next open of that symbol, unless the
change is smaller than ``band`` of equity (a full exit always trades); sells first; slippage on
the price, commission on the notional; equity is cash plus positions at each close. Inside the
band a position drifts with its price, as a live position does.
(``ml.backtest.backtest_live`` is the same with whole shares, Decimal cash and the risk checks.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.config import Costs
from tradeloop_common.execution import DEFAULT_BAND, DEFAULT_CASH_BUFFER


@dataclass(frozen=True)
class PortfolioCurve:
    dates: np.ndarray  # [D] datetime64[D]
    symbols: tuple[str, ...]
    equity: np.ndarray  # [D] at each close; 1.0 before the first date
    weights: np.ndarray  # [D, N] position value / equity at each close
    fills: np.ndarray  # [D, N] 1 where the position traded at that day's open
    targets: np.ndarray  # [D, N] target weight decided at each close (NaN: no bar, nothing decided)

    @property
    def returns(self) -> np.ndarray:
        """Daily returns after costs, the first against the starting 1.0."""
        full = np.concatenate([[1.0], self.equity])
        return full[1:] / full[:-1] - 1.0


def _ffill(a: np.ndarray, before: float) -> np.ndarray:
    """Forward-fill NaN down each column; ``before`` until a column's first value."""
    idx = np.where(np.isnan(a), 0, np.arange(len(a))[:, None])
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = np.take_along_axis(a, idx, axis=0)
    return np.where(np.isnan(out), before, out)


def policy_backtest(
    dates: np.ndarray,
    symbols: tuple[str, ...],
    open_: np.ndarray,
    close: np.ndarray,
    targets: np.ndarray,
    costs: Costs,
    band: float = float(DEFAULT_BAND),
    cash_buffer: float = float(DEFAULT_CASH_BUFFER),
) -> PortfolioCurve:
    """Run ``targets`` ([D, N], decided at each close; NaN = no decision) over ``open_``/``close``
    ([D, N], NaN where a symbol has no bar), starting flat with equity 1.0."""
    n_days, n_sym = close.shape
    last_close = _ffill(close, np.nan)
    wanted = _ffill(targets, 0.0)  # what the signal service holds as the current target
    shares = np.zeros(n_sym)
    cash = 1.0
    fills = np.zeros((n_days, n_sym))
    shares_at = np.zeros((n_days, n_sym))
    cash_at = np.zeros(n_days)
    s, fee = costs.slippage, costs.commission
    for d in range(n_days):
        if d > 0:
            want, px = wanted[d - 1], last_close[d - 1]
            equity = cash + float(shares @ np.nan_to_num(px))  # at the decision close
            target = np.where(want > 0, want * equity * (1 - cash_buffer) / px, 0.0)
            delta = np.nan_to_num(target - shares)
            worth = (np.abs(delta) * np.nan_to_num(px) >= band * equity) | ((target == 0) & (shares > 0))
            todo = np.flatnonzero(worth & (delta != 0) & ~np.isnan(open_[d]) & ~np.isnan(px))
            # Sells first (their proceeds pay for the buys at the same open), then by symbol.
            for j in sorted(todo, key=lambda k: (delta[k] > 0, symbols[k])):
                if delta[j] > 0:
                    cash -= delta[j] * open_[d, j] * (1 + s) * (1 + fee)
                else:
                    cash -= delta[j] * open_[d, j] * (1 - s) * (1 - fee)
                shares[j], fills[d, j] = target[j], 1.0
        shares_at[d], cash_at[d] = shares, cash
    value = shares_at * np.nan_to_num(last_close)
    equity = cash_at + value.sum(axis=1)
    return PortfolioCurve(dates, symbols, equity, value / equity[:, None], fills, targets)
