"""Vectorized long/flat backtest with the paper broker's fill convention and cost model.

Convention (shared with the order service): the position decided at the close of day t
(``signal[t]``) is traded at the OPEN of day t+1 at ``open * (1 +/- slippage)``, paying
``commission`` on the notional. A buy invests all of the sleeve's cash, a sell closes the
whole position; equity is marked at each close. This is what vectorbt's
``Portfolio.from_signals(price=open.shift(-1)...)`` does, and a test holds us to it (1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.config import Costs, Policy

TRADING_DAYS = 252


def positions_from_probability(prob: np.ndarray, policy: Policy) -> np.ndarray:
    """Long (1) above ``enter``, flat (0) below ``exit``, else keep the last state; starts flat.

    Vectorised hysteresis: mark decisive bars, forward-fill the last decision.
    """
    p = np.asarray(prob, dtype=np.float64)
    decision = np.where(p > policy.enter, 1.0, np.where(p < policy.exit, 0.0, np.nan))
    idx = np.where(np.isnan(decision), 0, np.arange(len(p)))
    np.maximum.accumulate(idx, out=idx)
    state = decision[idx]
    return np.where(np.isnan(state), 0.0, state)


@dataclass(frozen=True)
class BacktestResult:
    equity: np.ndarray  # marked at each close, starts at init_cash before bar 0
    held: np.ndarray  # 1 while the position is open during bar d (after its open)
    trades: int
    init_cash: float

    @property
    def final_equity(self) -> float:
        return float(self.equity[-1]) if len(self.equity) else self.init_cash


def backtest(
    open_: np.ndarray,
    close: np.ndarray,
    signal: np.ndarray,
    costs: Costs,
    init_cash: float = 1.0,
) -> BacktestResult:
    """Equity of a long/flat strategy; ``signal[t]`` in {0, 1} is decided at close t.

    Equity at close d is equity at close d-1 times one factor per bar:
    hold -> close[d]/close[d-1]; buy at open d -> close[d] / (open[d] (1+s)(1+c));
    sell at open d -> open[d] (1-s)(1-c) / close[d-1]; flat -> 1.
    """
    o = np.asarray(open_, dtype=np.float64)
    c = np.asarray(close, dtype=np.float64)
    sig = np.asarray(signal, dtype=np.float64)
    n = len(c)
    held = np.zeros(n)
    held[1:] = sig[:-1] > 0.5
    prev = np.concatenate([[0.0], held[:-1]])
    prev_close = np.concatenate([[np.nan], c[:-1]])
    s, fee = costs.slippage, costs.commission
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.select(
            [
                (held == 1) & (prev == 1),
                (held == 1) & (prev == 0),
                (held == 0) & (prev == 1),
            ],
            [
                c / prev_close,
                c / (o * (1 + s) * (1 + fee)),
                o * (1 - s) * (1 - fee) / prev_close,
            ],
            default=1.0,
        )
    equity = init_cash * np.cumprod(factor)
    return BacktestResult(equity, held, int(np.abs(held - prev).sum()), init_cash)


def buy_and_hold(open_: np.ndarray, close: np.ndarray, costs: Costs, init_cash: float = 1.0) -> BacktestResult:
    """Long from the first bar's close decision on (entry at the second bar's open), never sold."""
    return backtest(open_, close, np.ones(len(close)), costs, init_cash)


def performance(equity: np.ndarray, held: np.ndarray | None = None, init_cash: float | None = None) -> dict[str, float]:
    """CAGR, annualised Sharpe/Sortino (252 days, rf = 0), max drawdown, turnover, hit rate."""
    eq = np.asarray(equity, dtype=np.float64)
    start = eq[0] if init_cash is None else init_cash
    full = np.concatenate([[start], eq])
    rets = full[1:] / full[:-1] - 1.0
    years = max(len(eq) / TRADING_DAYS, 1e-9)
    total = full[-1] / full[0]
    sd = rets.std(ddof=1) if len(rets) > 1 else 0.0
    downside = np.sqrt(np.mean(np.minimum(rets, 0.0) ** 2)) if len(rets) else 0.0
    peak = np.maximum.accumulate(full)
    out = {
        "total_return": float(total - 1.0),
        "cagr": float(total ** (1.0 / years) - 1.0) if total > 0 else -1.0,
        "sharpe": float(np.sqrt(TRADING_DAYS) * rets.mean() / sd) if sd > 0 else 0.0,
        "sortino": float(np.sqrt(TRADING_DAYS) * rets.mean() / downside) if downside > 0 else 0.0,
        "max_drawdown": float((full / peak - 1.0).min()),
    }
    if held is not None:
        # held: [n] or [n, sleeves] fraction invested per sleeve during each bar.
        h = np.asarray(held, dtype=np.float64).reshape(len(eq), -1)
        changes = np.abs(np.diff(np.vstack([np.zeros((1, h.shape[1])), h]), axis=0))
        out["turnover"] = float(changes.sum() / h.shape[1] / years)  # position changes per sleeve-year
        exposure = h.mean(axis=1)
        out["exposure"] = float(exposure.mean()) if len(h) else 0.0
        in_market = exposure > 0
        # Share of invested days that made money (daily, after costs).
        out["hit_rate"] = float((rets[in_market] > 0).mean()) if in_market.any() else 0.0
    return out


def drawdown(equity: np.ndarray) -> np.ndarray:
    eq = np.asarray(equity, dtype=np.float64)
    return eq / np.maximum.accumulate(eq) - 1.0
