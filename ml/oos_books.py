"""The trading policy's books over out-of-sample predictions, after costs: the portfolio book
(``ml.portfolio``), each symbol traded alone (``ml.backtest``), and a fold's slice of a book.
``prob`` None stands for buy-and-hold: the same weights, always long."""

from __future__ import annotations

from typing import Any

import numpy as np

from ml.backtest import backtest, buy_and_hold, performance
from ml.dataset import Bars
from ml.features import Samples
from ml.metrics import classification_metrics
from ml.portfolio import PortfolioCurve, policy_backtest
from ml.splits import Split
from ml.trading_policy import TradingPolicy


def oos_book(
    samples: Samples, bars: dict[str, Bars], rows: np.ndarray, prob: np.ndarray | None, policy: TradingPolicy
) -> PortfolioCurve:
    """The policy's book over the out-of-sample rows (``ml.portfolio``); ``prob`` aligned with
    ``rows``, or None for buy-and-hold (the same weights, always long)."""
    dates = np.unique(samples.dates[rows])
    symbols = policy.universe
    day = np.searchsorted(dates, samples.dates[rows])
    col = np.searchsorted(np.array(symbols), samples.symbols[rows])
    open_, close, p = (np.full((len(dates), len(symbols)), np.nan) for _ in range(3))
    for j, sym in enumerate(symbols):
        mine = col == j
        t = samples.bar_index[rows[mine]]
        open_[day[mine], j], close[day[mine], j] = bars[sym].open[t], bars[sym].close[t]
        p[day[mine], j] = 1.0 if prob is None else prob[mine]
    targets = np.column_stack([policy.targets(p[:, j], sym) for j, sym in enumerate(symbols)])
    targets = np.where(np.isnan(close), np.nan, targets)  # no bar, no decision
    return policy_backtest(dates, symbols, open_, close, targets, policy.costs)


def symbol_metrics(
    samples: Samples, bars: dict[str, Bars], rows: np.ndarray, prob: np.ndarray | None, policy: TradingPolicy
) -> dict[str, dict[str, Any]]:
    """Per symbol: its out-of-sample dates, classification metrics, and the policy traded on that
    symbol alone, fully invested when long (``ml.backtest.backtest``; buy-and-hold when ``prob`` is None)."""
    out: dict[str, dict[str, Any]] = {}
    for sym in policy.universe:
        mine = np.flatnonzero(samples.symbols[rows] == sym)
        t = samples.bar_index[rows[mine]]
        o, c = bars[sym].open[t[0] : t[-1] + 1], bars[sym].close[t[0] : t[-1] + 1]
        if len(t) != len(o):
            raise ValueError(f"{sym}: out-of-sample bars are not contiguous")
        cls: dict[str, float]
        if prob is None:
            res, cls = buy_and_hold(o, c, policy.costs), {"n": len(t)}
        else:
            res = backtest(o, c, policy.targets(prob[mine], sym) > 0, policy.costs)
            cls = classification_metrics(samples.y[rows[mine]], prob[mine])
        out[sym] = {
            "test_start": str(samples.dates[rows[mine[0]]]),
            "test_end": str(samples.dates[rows[mine[-1]]]),
            **cls,
            **performance(res.equity, res.held, init_cash=1.0),
        }
    return out


def fold_backtest(curve: PortfolioCurve, split: Split) -> dict[str, float]:
    lo = np.searchsorted(curve.dates, np.datetime64(split.test_start))
    hi = np.searchsorted(curve.dates, np.datetime64(split.test_end), side="right")
    start_equity = curve.equity[lo - 1] if lo > 0 else 1.0
    return performance(
        curve.equity[lo:hi], curve.weights[lo:hi], init_cash=float(start_equity), trades=curve.fills[lo:hi]
    )


def book_metrics(curve: PortfolioCurve) -> dict[str, float]:
    return performance(curve.equity, curve.weights, init_cash=1.0, trades=curve.fills)
