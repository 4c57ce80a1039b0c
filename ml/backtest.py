"""Vectorized long/flat backtest with the paper broker's fill convention and cost model.

Convention (shared with the order service): the position decided at the close of day t
(``signal[t]``) is traded at the OPEN of day t+1 at ``open * (1 +/- slippage)``, paying
``commission`` on the notional. A buy invests all of the sleeve's cash, a sell closes the
whole position; equity is marked at each close. This is what vectorbt's
``Portfolio.from_signals(price=open.shift(-1)...)`` does, and a test holds us to it (1e-9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from ml.config import Costs, Policy
from tradeloop_common.dal.bars import Bars
from tradeloop_common.drift import DriftReference, live_status
from tradeloop_common.execution import (
    Book,
    ExecutionSettings,
    accept,
    add_pending,
    apply_to_book,
    fill_at_open,
    forbidden_at_open,
    plan_rebalance,
    release_pending,
)
from tradeloop_common.freshness import stale_reason
from tradeloop_common.loss_limits import loss_breach, tightens
from tradeloop_common.models import Controls, Position, Side
from tradeloop_common.models.health import DriftLevel
from tradeloop_common.policy import policy_target_weights, target_weights
from tradeloop_common.predictor import OnnxPredictor
from tradeloop_common.valuation import close_of

TRADING_DAYS = 252


def positions_from_probability(prob: np.ndarray, policy: Policy) -> np.ndarray:
    """Long (1) above ``enter``, flat (0) below ``exit``, else keep the last state; starts flat.

    The serving policy (``tradeloop_common.policy``) applied to the whole series at once.
    """
    return target_weights(prob, policy.enter, policy.exit)


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


def performance(
    equity: np.ndarray,
    held: np.ndarray | None = None,
    init_cash: float | None = None,
    trades: np.ndarray | None = None,
) -> dict[str, float]:
    """CAGR, annualised Sharpe/Sortino (252 days, rf = 0), max drawdown, turnover, exposure, hit rate.

    ``held``: [n] or [n, symbols], the share of equity in each position during each bar.
    ``trades``: the same shape, 1 where a position traded; without it, changes of ``held`` count
    (right for a 0/1 series that starts flat). Pass it for a slice of a longer run: a slice's first
    bar is not a trade just because the position was already open."""
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
        h = np.asarray(held, dtype=np.float64).reshape(len(eq), -1)
        if trades is None:
            trades = np.abs(np.diff(np.vstack([np.zeros((1, h.shape[1])), h]), axis=0)) > 0
        t = np.asarray(trades, dtype=np.float64).reshape(len(eq), -1)
        out["turnover"] = float(t.sum() / t.shape[1] / years)  # trades per symbol-year
        exposure = h.sum(axis=1)
        out["exposure"] = float(exposure.mean()) if len(h) else 0.0  # mean gross exposure
        in_market = exposure > 0
        # Share of invested days that made money (daily, after costs).
        out["hit_rate"] = float((rets[in_market] > 0).mean()) if in_market.any() else 0.0
    return out


def drawdown(equity: np.ndarray) -> np.ndarray:
    eq = np.asarray(equity, dtype=np.float64)
    return eq / np.maximum.accumulate(eq) - 1.0


# ------------------------------------------------------------------- live-execution mode
# The fractional backtest above is what model selection compares. The paper account trades
# differently: whole shares sized from equity at the decision close, one order per change of
# target, fills at the next open with slippage, commission rounded half-up to cents, risk checks
# and cash in Decimal. ``backtest_live`` reproduces exactly that, with the order service's own
# functions, so a replay of the live loop can be checked against it fill by fill.


@dataclass(frozen=True)
class LiveFill:
    filled_on: date
    symbol: str
    side: str
    quantity: int
    price: Decimal
    commission: Decimal


@dataclass(frozen=True)
class LiveBacktestResult:
    days: list[date]
    fills: list[LiveFill]
    rejected: list[tuple[date, str, str]]  # (decision day, symbol, reason)
    equity: list[Decimal]  # at each day's close, after that day's opening fills
    cash: Decimal
    positions: dict[str, Position]
    state_changes: list[tuple[date, str, str]] = field(default_factory=list)  # (day, rule, state) by loss limits

    @property
    def final_equity(self) -> Decimal:
        return self.equity[-1]


def live_targets(
    predictor: OnnxPredictor,
    bars: Mapping[str, Bars],
    days: Sequence[date],
    policy: Mapping[str, Any],
    max_bar_age_days: int = 3,
    drift_reference: DriftReference | None = None,
) -> dict[str, np.ndarray]:
    """Target weight decided at the close of each of ``days`` (vectorised over time): the model
    scores every bar of each symbol's history in one pass, then the policy runs over the decision
    days starting flat, as the live service does with an empty signals table. Like the service,
    a day scores the last bar on or before it, and decides nothing (keeps the target) when that
    bar is older than ``max_bar_age_days`` sessions (tradeloop_common.freshness) or the model is still
    warming up; and with the manifest's ``drift_reference``, on a day the feature drift is at HALT
    (tradeloop_common.drift, the same verdict on the same bars) it enters nothing and exits as usual."""
    halted = np.array(
        [drift_reference is not None and live_status(drift_reference, bars, d).level is DriftLevel.HALT for d in days],
        dtype=bool,
    )
    out: dict[str, np.ndarray] = {}
    for symbol, b in bars.items():
        prob = predictor.predict_series(*b.feature_columns())
        last = np.array([b.count_upto(d) - 1 for d in days])
        # The signal service's own stale-data rule (sessions of the exchange calendar), day by day.
        fresh = np.array(
            [
                i >= 0 and stale_reason(symbol, b.dates[i], d, max_bar_age_days) is None
                for i, d in zip(last, days, strict=True)
            ],
            dtype=bool,
        )
        p = np.where(fresh, prob[np.maximum(last, 0)], np.nan)
        # Held entries: a probability capped at `enter` can keep or exit, never enter (the service HOLDs).
        p = np.where(halted, np.minimum(p, float(policy["enter"])), p)
        out[symbol] = policy_target_weights(p, policy, symbol)  # the symbol's weight in the manifest
    return out


@dataclass
class _Pending:
    symbol: str
    side: Side
    quantity: int
    reserve: Decimal


def backtest_live(
    bars: Mapping[str, Bars],
    targets: Mapping[str, np.ndarray],
    days: Sequence[date],
    init_cash: Decimal,
    commission_bps: Decimal,
    slippage_bps: Decimal,
    controls: Controls | None = None,
    account_id: str = "paper",
    settings: ExecutionSettings | None = None,
) -> LiveBacktestResult:
    """Apply ``targets`` (decided at the close of each of ``days``, the last one unused) the way the
    signal and order services do, with the order service's own rules (tradeloop_common.execution):
    each session, rebalance what is held to the targets (sells first, band, cash buffer), accept
    each order against the risk limits and the buying power, and fill it at the next session's
    open. The loop runs day by day: integer sizing depends on the equity path."""
    controls = controls or Controls()
    settings = settings or ExecutionSettings(commission_bps=commission_bps, slippage_bps=slippage_bps)
    book = Book(account_id, init_cash, init_cash, {}, {})
    pending: list[_Pending] = []
    fills: list[LiveFill] = []
    rejected: list[tuple[date, str, str]] = []
    equity: list[Decimal] = []
    state_changes: list[tuple[date, str, str]] = []
    weights = {s: [Decimal(str(float(w))) for w in t] for s, t in targets.items()}

    for i, day in enumerate(days):
        # The open of `day`: what the previous close decided fills now, sells first.
        waiting: list[_Pending] = []
        for order in sorted(pending, key=lambda o: (o.side is Side.BUY, o.symbol)):
            cancelled = forbidden_at_open(order.side, controls.trading_state)
            if cancelled:
                rejected.append((day, order.symbol, cancelled))
                release_pending(book, order.symbol, order.reserve, order.side, order.quantity)
                continue
            b = bars[order.symbol]
            opened = b.open_on(day)
            if opened is None:
                if b.dates and b.dates[-1] > day:  # the symbol traded later but not today: no open
                    rejected.append((day, order.symbol, f"expired: no open for {order.symbol} on {day}"))
                    release_pending(book, order.symbol, order.reserve, order.side, order.quantity)
                else:
                    waiting.append(order)  # its open is not known yet
                continue
            result = fill_at_open(order.side, order.quantity, opened, book.position(order.symbol), book.cash, settings)
            if isinstance(result, str):
                rejected.append((day, order.symbol, result))
                release_pending(book, order.symbol, order.reserve, order.side, order.quantity)
                continue
            apply_to_book(book, order.symbol, result, order.reserve, order.side, order.quantity)
            fills.append(LiveFill(day, order.symbol, order.side.value, order.quantity, result.price, result.commission))
        pending = waiting

        as_of = close_of(day)
        symbols = set(book.positions) | set(book.pending) | set(weights)
        book.marks = {s: (c[1] if (c := bars[s].last_close(as_of)) else None) for s in symbols}
        equity.append(book.portfolio(as_of).equity)
        # The loss limits act by themselves at the close, as the order service's session step does.
        breach = loss_breach(equity[-1], equity[-2] if i else None, max(equity), controls.limits)
        if breach and tightens(controls.trading_state, breach.state):
            controls = controls.model_copy(update={"trading_state": breach.state})
            state_changes.append((day, breach.rule, breach.state.value))
        if i == len(days) - 1:
            break
        # The close of `day`: rebalance to the day's targets; accepted orders wait for the next open.
        plan = plan_rebalance(
            {s: w[i] for s, w in weights.items()},
            book.held(),
            book.pending,
            book.marks,
            equity[-1],
            settings,
            controls.trading_state,
        )
        for planned in plan:
            acceptance = accept(planned, book, controls, settings, as_of)
            if acceptance.reason is not None:
                rejected.append((day, planned.symbol, acceptance.reason))
                continue
            add_pending(book, planned.symbol, acceptance.reserve, planned.side, planned.quantity)
            pending.append(_Pending(planned.symbol, planned.side, planned.quantity, acceptance.reserve))
    return LiveBacktestResult(list(days), fills, rejected, equity, book.cash, book.positions, state_changes)
