"""Labels and the vectorized backtest, checked against vectorbt (the oracle) to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest

from ml.backtest import backtest, buy_and_hold, performance, positions_from_probability
from ml.config import Costs, LabelSpec, Policy
from ml.dataset import Bars, sample_bars
from ml.labels import forward_open_return, make_labels
from ml.oracle import vectorbt_equity


def test_labels_read_next_open_to_following_open() -> None:
    o = np.array([10.0, 11.0, 12.1, 12.1, 11.0])
    np.testing.assert_allclose(forward_open_return(o)[:3], [0.1, 0.0, 11.0 / 12.1 - 1])
    y = make_labels(o)
    # t=0: 11 -> 12.1 up; t=1: flat is a tie, not "down": no label; t=2: down; last two bars have no future
    np.testing.assert_array_equal(y[[0, 2]], [1.0, 0.0])
    assert np.isnan(y[1]) and np.isnan(y[3:]).all()


def test_a_tie_blurred_by_price_adjustment_is_still_a_tie() -> None:
    # Given equal raw opens scaled by an adjustment factor (a 1e-16 return), and a real 1e-5 move
    adjusted = 11.0 * 0.3
    blurred = np.nextafter(adjusted, np.inf)
    o = np.array([10.0, adjusted, blurred, blurred * (1 + 1e-5), 3.0])
    assert o[2] / o[1] - 1 != 0.0
    y = make_labels(o)
    # Then the tie has no label and the small real move does
    assert np.isnan(y[0]) and y[1] == 1.0 and y[2] == 0.0


def test_dead_zone_drops_small_moves() -> None:
    o = np.array([100.0, 100.0, 100.05, 101.0, 99.0, 99.0])
    y = make_labels(o, LabelSpec(dead_zone=0.001))
    assert np.isnan(y[0]) and y[1] == 1.0 and y[2] == 0.0


def test_positions_follow_hysteresis_policy() -> None:
    p = np.array([0.5, 0.6, 0.5, 0.49, 0.4, 0.5, 0.55])
    pos = positions_from_probability(p, Policy(enter=0.52, exit=0.48))
    np.testing.assert_array_equal(pos, [0, 1, 1, 1, 0, 0, 1])


@pytest.fixture(scope="module")
def aapl() -> Bars:
    return sample_bars("AAPL")


@pytest.mark.slow  # vectorbt compiles with numba on first use (5 s): in `make test`, not `make test-unit`
@pytest.mark.parametrize(
    ("kind", "costs"),
    [
        ("random", Costs()),
        ("random", Costs(commission_bps=0.0, slippage_bps=0.0)),
        ("policy", Costs(commission_bps=10.0, slippage_bps=20.0)),
        ("always", Costs()),
    ],
)
def test_backtest_equals_vectorbt_from_signals(aapl: Bars, kind: str, costs: Costs) -> None:
    # Given prices, signals and the paper broker's costs
    rng = np.random.default_rng(7)
    if kind == "random":
        signal = (rng.random(len(aapl)) > 0.5).astype(float)
    elif kind == "policy":
        signal = positions_from_probability(0.5 + 0.05 * rng.standard_normal(len(aapl)), Policy())
    else:
        signal = np.ones(len(aapl))
    # When both engines run
    ours = backtest(aapl.open, aapl.close, signal, costs, init_cash=10_000.0)
    theirs = vectorbt_equity(aapl, signal, costs, 10_000.0)
    # Then final equity (and the whole curve) agree to 1e-9 relative
    assert ours.trades > 0
    assert abs(ours.final_equity / theirs[-1] - 1) < 1e-9
    np.testing.assert_allclose(ours.equity, theirs, rtol=1e-9)


def test_costs_reduce_equity_by_the_round_trip(aapl: Bars) -> None:
    signal = np.zeros(len(aapl))
    signal[10:20] = 1.0
    free = backtest(aapl.open, aapl.close, signal, Costs(0.0, 0.0)).final_equity
    paid = backtest(aapl.open, aapl.close, signal, Costs(1.0, 5.0)).final_equity
    expected = (1 - 5e-4) * (1 - 1e-4) / ((1 + 5e-4) * (1 + 1e-4))
    assert paid / free == pytest.approx(expected, rel=1e-12)


def test_buy_and_hold_and_performance_metrics(aapl: Bars) -> None:
    res = buy_and_hold(aapl.open, aapl.close, Costs())
    assert res.trades == 1
    perf = performance(res.equity, res.held, init_cash=1.0)
    assert perf["total_return"] == pytest.approx(res.final_equity - 1)
    assert -1 < perf["max_drawdown"] < 0 and perf["sharpe"] > 0 and 0.99 < perf["exposure"] <= 1
    assert set(perf) >= {"cagr", "sharpe", "sortino", "max_drawdown", "turnover", "hit_rate"}


def test_live_execution_mode_trades_whole_shares_at_the_next_open_with_cents_commission() -> None:
    from datetime import date
    from decimal import Decimal as D

    from ml.backtest import backtest_live
    from tradeloop_common.dal.bars import Bars

    # Given three days of bars and a target of 40 % decided at the first close, 0 at the second
    days = [date(2012, 6, 1), date(2012, 6, 4), date(2012, 6, 5)]
    px = (D("100"), D("101"), D("102"))
    bars = {"IBM": Bars("IBM", tuple(days), (D("99"), D("100.5"), D("103")), px, px, px, (D(1),) * 3)}
    # When it runs with 1 bps commission and 5 bps slippage on 10,000 (2 % cash buffer)
    res = backtest_live(bars, {"IBM": np.array([0.4, 0.0, 0.0])}, days, D("10000"), D("1"), D("5"))
    # Then it buys floor(0.4 * 10000 * 0.98 / 100) = 39 shares at the next open plus slippage, then sells them
    buy, sell = res.fills
    assert (buy.side, buy.quantity, buy.price, buy.filled_on) == ("BUY", 39, D("100.5503"), days[1])
    assert buy.commission == D("0.39")  # notional 3921.46, 1 bps = 0.392146 -> 0.39
    assert (sell.side, sell.quantity, sell.price, sell.filled_on) == ("SELL", 39, D("102.9485"), days[2])
    assert sell.commission == D("0.40")  # notional 4014.99
    # And equity is marked at each close: cash after the fills plus shares at the close
    cash_after_buy = D("10000") - D("3921.46") - D("0.39")
    assert res.equity == [D("10000.00"), cash_after_buy + 39 * D("101"), res.cash]
    assert res.cash == cash_after_buy + D("4014.99") - D("0.40") and not res.rejected
    # And the order service's risk limits apply: 58 shares, 58 % of equity at the close plus slippage,
    # break max_position_weight 0.5
    over = backtest_live(bars, {"IBM": np.array([0.6, 0.0, 0.0])}, days, D("10000"), D("1"), D("5"))
    assert not over.fills and "max_position_weight" in over.rejected[0][2]
