"""Evaluated == traded: one policy (universe, weight per symbol, thresholds, costs) drives the
walk-forward book, goes into the manifest, and is what the signal service applies; the book trades
as the live-execution backtest does; turnover counts trades that happen; folds share dates."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from signal_fixtures import in_memory_deps, logistic_onnx

from ml.backtest import backtest_live, live_targets, performance
from ml.config import Costs, LabelSpec, Policy
from ml.dataset import Bars, sample_bars
from ml.features import build_samples
from ml.oos_books import oos_book
from ml.portfolio import policy_backtest
from ml.splits import walk_forward_splits
from ml.trading_policy import TradingPolicy
from signal_service.logic.run_signals import run_signals
from tradeloop_common.dal.bars import Bars as LiveBars
from tradeloop_common.dal.bars import parse_bars
from tradeloop_common.features import FEATURE_NAMES, LOOKBACK, compute_features
from tradeloop_common.models import Controls
from tradeloop_common.predictor import OnnxPredictor
from tradeloop_common.valuation import close_of

ALL = ("AAPL", "GOOG", "IBM", "MSFT")
UNIVERSES = {1: ("IBM",), 3: ("AAPL", "IBM", "MSFT"), 4: ALL}
# A short-term mean-reversion score: trades every few days.
SCORE = {"ret_1": -1.2, "ret_5": -0.6, "rsi_14": -0.4, "ma_ratio_50": 0.5, "gap": -0.3}


@pytest.fixture(scope="module")
def sample() -> dict[str, Bars]:
    return {s: sample_bars(s) for s in ALL}


@pytest.fixture(scope="module")
def live_bars(sample: dict[str, Bars]) -> dict[str, LiveBars]:
    """The same bars as the signal service reads them from the data bucket (Decimal)."""
    return {s: parse_bars(s, b.to_csv()) for s, b in sample.items()}


def _model(sample: dict[str, Bars], policy: TradingPolicy) -> tuple[bytes, dict[str, Any]]:
    """An ONNX logistic model over the shared features and the manifest a publish would write for it."""
    feats = np.vstack(
        [compute_features(b.open, b.high, b.low, b.close, b.volume)[0][LOOKBACK:] for b in sample.values()]
    )
    onnx = logistic_onnx(np.array([SCORE.get(n, 0.0) for n in FEATURE_NAMES]), 0.0)
    manifest = {
        "version": "v-test",
        "created_at": "2026-01-01T00:00:00Z",
        "model": {"kind": "mlp"},
        "features": {"names": list(FEATURE_NAMES), "window": 1, "bars_needed": LOOKBACK},
        "scaler": {"mean": feats.mean(axis=0).tolist(), "std": feats.std(axis=0).tolist(), "clip": 5.0},
        "policy": policy.to_manifest(),
        "artifacts": {"model.onnx": {"sha256": hashlib.sha256(onnx).hexdigest()}},
        "onnx_parity": {"max_abs_diff": 0.0},
    }
    return onnx, json.loads(json.dumps(manifest))  # as stored: JSON


@pytest.mark.parametrize(
    ("size", "weight_when_long", "expected"),
    [(1, 0.25, 0.25), (3, 0.25, 0.25), (4, 0.25, 0.25), (1, 0.45, 0.45), (3, 0.45, 1 / 3), (4, 0.45, 0.25)],
)
def test_live_signal_weights_equal_the_weights_the_walk_forward_evaluated(
    sample: dict[str, Bars], live_bars: dict[str, LiveBars], size: int, weight_when_long: float, expected: float
) -> None:
    # Given the policy the walk-forward builds for a universe of 1, 3 or 4 symbols, and a model carrying it
    universe = UNIVERSES[size]
    policy = TradingPolicy.for_universe(Policy(weight_when_long=weight_when_long), Costs(), universe)
    onnx, manifest = _model(sample, policy)
    predictor = OnnxPredictor(onnx, manifest)
    # When the walk-forward's book turns the model's probabilities into targets over June-August 2012
    samples = build_samples({s: sample[s] for s in universe}, LabelSpec(), window=1)
    rows = np.flatnonzero(
        (samples.dates >= np.datetime64("2012-06-01")) & (samples.dates <= np.datetime64("2012-08-31"))
    )
    series = {s: predictor.predict_series(b.open, b.high, b.low, b.close, b.volume) for s, b in sample.items()}
    prob = np.array([series[s][t] for s, t in zip(samples.symbols[rows], samples.bar_index[rows], strict=True)])
    evaluated = oos_book(samples, sample, rows, prob, policy).targets
    # And the signal service, with that manifest live and every symbol's bars in the bucket, decides each close
    days = [date.fromisoformat(str(d)) for d in np.unique(samples.dates[rows])]
    deps = in_memory_deps(manifest, onnx, live_bars, datetime(2012, 9, 1, tzinfo=UTC))
    traded = np.zeros_like(evaluated)
    for i, day in enumerate(days):
        outcome = run_signals(close_of(day), None, deps)
        # Then it trades exactly the universe ...
        assert [s.symbol for s in outcome.signals] == list(universe)
        traded[i] = [float(s.target_weight) for s in outcome.signals]
    # ... at the evaluated target weight every day, which is min(weight_when_long, 1 / N) when long
    np.testing.assert_array_equal(traded, evaluated)
    assert set(np.unique(traded)) == {0.0, expected}
    # And a symbol outside the universe is not traded: it was never evaluated
    outside = sorted(set(ALL) - set(universe))
    if outside:
        (held,) = run_signals(close_of(days[-1]), outside[:1], deps).signals
        assert held.action.value == "HOLD" and "not in the universe" in str(held.reason)


def test_the_evaluated_book_trades_as_the_live_execution_backtest(
    sample: dict[str, Bars], live_bars: dict[str, LiveBars]
) -> None:
    # Given three symbols, their policy and model, over 2012
    universe = UNIVERSES[3]
    policy = TradingPolicy.for_universe(Policy(), Costs(), universe)
    onnx, manifest = _model(sample, policy)
    predictor = OnnxPredictor(onnx, manifest)
    days = [d for d in live_bars["IBM"].dates if date(2012, 1, 1) <= d <= date(2012, 12, 31)]
    mine = {s: live_bars[s] for s in universe}
    # When the live-execution backtest (whole shares, Decimal cash, the order service's rules; limits
    # wide open on a $1bn account) and the evaluation's fractional book run the same targets
    targets = live_targets(predictor, mine, days, manifest["policy"])
    live = backtest_live(
        mine, targets, days, Decimal("1e9"), Decimal("1"), Decimal("5"), Controls.model_validate(_WIDE_OPEN)
    )
    idx = {s: np.searchsorted(sample[s].dates, np.array(days, dtype="datetime64[D]")) for s in universe}
    book = policy_backtest(
        np.array(days, dtype="datetime64[D]"),
        universe,
        np.column_stack([sample[s].open[idx[s]] for s in universe]),
        np.column_stack([sample[s].close[idx[s]] for s in universe]),
        np.column_stack([targets[s] for s in universe]),
        Costs(),
    )
    # Then they make the same trades on the same days, and the same equity within the rounding of
    # fill prices to 1/100 cent and of quantities to whole shares
    fills = sorted((f.filled_on, f.symbol) for f in live.fills)
    assert len(fills) > 50 and not live.rejected
    assert fills == sorted((days[d], universe[j]) for d, j in zip(*np.nonzero(book.fills), strict=True))
    equity = np.array([float(e) for e in live.equity]) / 1e9
    np.testing.assert_allclose(book.equity, equity, rtol=2e-5)


_WIDE_OPEN = {"limits": {"max_position_weight": 1, "max_gross_exposure": 4, "max_order_notional": 1e12}}


def test_turnover_counts_trades_that_happen_not_positions_open_at_a_slice_start() -> None:
    # Given a book always long in two symbols over 500 days (buy-and-hold: one entry each, never a trade after)
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (500, 2)), axis=0))
    dates = np.arange(500).astype("datetime64[D]")
    # (a band no drift of these prices crosses: only the two entries trade)
    book = policy_backtest(dates, ("A", "B"), close, close, np.full((500, 2), 0.5), Costs(), band=0.4)
    # When the second half is measured (as a fold is)
    half = slice(250, 500)
    perf = performance(book.equity[half], book.weights[half], init_cash=book.equity[249], trades=book.fills[half])
    # Then no trade is counted there, and the whole run counts the two entries
    assert perf["turnover"] == 0.0
    assert book.fills.sum() == 2 and performance(book.equity, book.weights, 1.0, book.fills)["turnover"] > 0
    # (reading position changes off the slice would have seen two entries at its first bar)
    assert performance(book.equity[half], (book.weights[half] > 0).astype(float))["turnover"] > 0


def test_folds_are_cut_on_the_dates_every_symbol_shares(sample: dict[str, Bars]) -> None:
    # Given GOOG, whose history starts in August 2004, beside three symbols from 2000
    samples = build_samples(sample, LabelSpec(), window=5)
    goog_first = samples.dates[samples.symbols == "GOOG"].min()
    # When the walk-forward cuts its folds
    splits = walk_forward_splits(samples, folds=5, min_train_frac=0.4, purge=2)
    # Then every test block scores every symbol, GOOG only after it has history to train on
    for s in splits:
        assert set(samples.symbols[s.test]) == set(ALL)
        assert samples.dates[s.test].min() > goog_first
    first_train = samples.symbols[splits[0].train]
    assert (first_train == "GOOG").sum() > 500
    # And training still uses the other symbols' earlier history (before GOOG existed)
    assert samples.dates[splits[0].train].min() < goog_first
