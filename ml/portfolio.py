"""The out-of-sample book of a trading policy: every symbol in one account, sized as live sizes it.

What the walk-forward compares. It trades the way the signal and order services do, with
fractional shares: the target weight decided at the close of d (``TradingPolicy.targets``) is
traded at the next open of that symbol only when it differs from the target held, sized from the
account's equity at the decision close (``target x equity / close`` shares), reductions first;
slippage on the price, commission on the notional; equity is cash plus positions at each close.
Between changes of target a position drifts with its price, as a live position does.
(``ml.backtest.backtest_live`` is the same with whole shares, Decimal cash and the risk checks.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.config import Costs
from tradeloop_common.policy import intent_order


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
) -> PortfolioCurve:
    """Run ``targets`` ([D, N], decided at each close; NaN = no decision) over ``open_``/``close``
    ([D, N], NaN where a symbol has no bar), starting flat with equity 1.0."""
    n_days, n_sym = close.shape
    last_close = _ffill(close, np.nan)
    wanted = _ffill(targets, 0.0)  # what the signal service holds as the current target
    held_target = np.zeros(n_sym)
    shares = np.zeros(n_sym)
    cash = 1.0
    fills = np.zeros((n_days, n_sym))
    shares_at = np.zeros((n_days, n_sym))
    cash_at = np.zeros(n_days)
    s, fee = costs.slippage, costs.commission
    for d in range(n_days):
        if d > 0:
            want = wanted[d - 1]
            todo = np.flatnonzero((want != held_target) & ~np.isnan(open_[d]))
            # Reductions first (they free cash), then by symbol, as the signal service sends them.
            for j in sorted(todo, key=lambda k: intent_order(float(held_target[k]), float(want[k]), symbols[k])):
                marks = np.nan_to_num(last_close[d - 1])
                equity = cash + float(shares @ marks)
                new = want[j] * equity / last_close[d - 1, j] if want[j] > 0 else 0.0
                delta = new - shares[j]
                if delta > 0:
                    cash -= delta * open_[d, j] * (1 + s) * (1 + fee)
                else:
                    cash -= delta * open_[d, j] * (1 - s) * (1 - fee)
                shares[j], held_target[j], fills[d, j] = new, want[j], 1.0
        shares_at[d], cash_at[d] = shares, cash
    value = shares_at * np.nan_to_num(last_close)
    equity = cash_at + value.sum(axis=1)
    return PortfolioCurve(dates, symbols, equity, value / equity[:, None], fills, targets)
