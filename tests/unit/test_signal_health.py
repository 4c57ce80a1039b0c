"""The signal job with the model's health: while feature drift is at HALT it holds new entries (with
the reason) and still exits; the backtest's live-execution mode makes the same decisions on the same
bars; the verdict is kept once per decision time. Real bars (the offline sample), an ONNX model."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from signal_fixtures import in_memory_deps, logistic_onnx, training_rows

from ml.backtest import live_targets
from ml.config import Costs, Policy
from ml.dataset import sample_bars
from ml.trading_policy import TradingPolicy
from signal_service.logic.run_signals import run_signals
from tradeloop_common.dal.bars import Bars, parse_bars
from tradeloop_common.drift import DriftReference, build_reference
from tradeloop_common.features import FEATURE_NAMES, LOOKBACK
from tradeloop_common.models import Signal, SignalAction
from tradeloop_common.models.health import DecayVerdict, DriftLevel
from tradeloop_common.predictor import OnnxPredictor
from tradeloop_common.valuation import close_of

SYMBOLS = ("AAPL", "GOOG", "IBM", "MSFT")
TRAIN_END = date(2011, 12, 30)
SCORE = {"ret_1": -1.2, "ret_5": -0.6, "rsi_14": -0.4, "ma_ratio_50": 0.5, "gap": -0.3}


@pytest.fixture(scope="module")
def bars() -> dict[str, Bars]:
    return {s: parse_bars(s, sample_bars(s).to_csv()) for s in SYMBOLS}


def _manifest(bars: dict[str, Bars], shift_sd: float | None) -> tuple[bytes, dict[str, Any]]:
    """A logistic ONNX model trained (scaled) on rows to 2011; with ``shift_sd``, its drift reference
    describes training rows whose ret_1 sat ``shift_sd`` standard deviations lower: live rows then
    look shifted up by that much."""
    x, dates, symbols = training_rows(bars, TRAIN_END)
    onnx = logistic_onnx(np.array([SCORE.get(n, 0.0) for n in FEATURE_NAMES]), 0.0)
    policy = TradingPolicy.for_universe(Policy(), Costs(), SYMBOLS)
    manifest: dict[str, Any] = {
        "version": "v-test",
        "created_at": "2026-01-01T00:00:00Z",
        "model": {"kind": "mlp"},
        "features": {"names": list(FEATURE_NAMES), "window": 1, "bars_needed": LOOKBACK},
        "scaler": {"mean": x.mean(axis=0).tolist(), "std": x.std(axis=0).tolist(), "clip": 5.0},
        "policy": policy.to_manifest(),
        "artifacts": {"model.onnx": {"sha256": hashlib.sha256(onnx).hexdigest()}},
        "onnx_parity": {"max_abs_diff": 0.0},
    }
    if shift_sd is not None:
        shifted = x.copy()
        shifted[:, 0] -= shift_sd * x[:, 0].std()
        manifest["monitoring"] = {"drift": build_reference(shifted, dates, symbols, FEATURE_NAMES).to_manifest()}
    return onnx, json.loads(json.dumps(manifest))


def _days(bars: dict[str, Bars], start: date, end: date) -> list[date]:
    return [d for d in bars["IBM"].dates if start <= d <= end]


def test_drift_at_halt_holds_entries_with_the_reason_and_still_exits(bars: dict[str, Bars]) -> None:
    # Given a live model whose live ret_1 sits one training sd away from its reference
    onnx, manifest = _manifest(bars, shift_sd=1.0)
    deps = in_memory_deps(manifest, onnx, bars, datetime(2012, 9, 1, tzinfo=UTC))
    days = _days(bars, date(2012, 6, 1), date(2012, 8, 31))
    # And every symbol long before the first day
    before = close_of(date(2012, 5, 31))
    for s in SYMBOLS:
        deps.signals.put(
            Signal(signal_id=s, symbol=s, as_of=before, target_weight=Decimal("0.25"), model_version="v-test")
        )
    # When the job decides each close
    exits, holds = 0, []
    for day in days:
        outcome = run_signals(close_of(day), None, deps)
        # Then the health says HALT, naming ret_1
        assert outcome.health is not None and outcome.health.drift.level is DriftLevel.HALT
        assert outcome.health.drift.worst == "ret_1"
        for s in outcome.signals:
            previous = deps.signals.previous(s.symbol, s.as_of).target_weight
            # Then nothing enters or grows; what the model wants to leave, it leaves
            assert not (s.action is SignalAction.TARGET and s.target_weight > previous), s
            exits += s.action is SignalAction.TARGET and s.target_weight < previous
            if s.action is SignalAction.HOLD:
                holds.append(s)
    assert exits >= 1 and holds, (exits, len(holds))
    assert all(
        h.reason
        and h.reason.startswith("feature drift: ret_1 PSI")
        and h.reason.endswith("new entries are held, exits still trade")
        for h in holds
    )
    # And the verdict is kept once per decision time (a rerun reads it back)
    assert len(deps.health.records) == len(days)
    again = run_signals(close_of(days[-1]), None, deps)
    assert again.health == deps.health.get(close_of(days[-1]))


def test_without_drift_the_same_model_enters(bars: dict[str, Bars]) -> None:
    # The control: the same model and days, its reference describing the real training rows
    onnx, manifest = _manifest(bars, shift_sd=0.0)
    deps = in_memory_deps(manifest, onnx, bars, datetime(2012, 9, 1, tzinfo=UTC))
    entries, levels = 0, set()
    for day in _days(bars, date(2012, 6, 1), date(2012, 8, 31)):
        outcome = run_signals(close_of(day), None, deps)
        assert outcome.health is not None
        levels.add(outcome.health.drift.level)
        entries += sum(s.target_weight > 0 and s.action is SignalAction.TARGET for s in outcome.signals)
    assert DriftLevel.HALT not in levels and entries > 0
    # A model without a promise has no decay verdict, and says why
    assert outcome.health.decay.status is DecayVerdict.UNKNOWN and "no decay promise" in str(
        outcome.health.decay.reason
    )


def test_a_model_published_before_monitoring_trades_and_keeps_no_health_record(bars: dict[str, Bars]) -> None:
    # Given a live model whose manifest has no monitoring section
    onnx, manifest = _manifest(bars, shift_sd=None)
    deps = in_memory_deps(manifest, onnx, bars, datetime(2012, 9, 1, tzinfo=UTC))
    # When the job decides a close
    outcome = run_signals(close_of(date(2012, 8, 31)), None, deps)
    # Then the verdicts say why there is none, nothing is held for drift, and no record is kept
    assert outcome.health is not None and outcome.health.drift.level is DriftLevel.UNKNOWN
    assert "no drift reference" in str(outcome.health.drift.reason)
    assert outcome.health.decay.status is DecayVerdict.UNKNOWN
    assert not any(s.action is SignalAction.HOLD for s in outcome.signals)
    assert deps.health.records == {}


@pytest.mark.slow  # a year of backtests over the universe (2.5 s): in `make test`, not `make test-unit`
def test_the_live_execution_backtest_holds_the_same_entries(bars: dict[str, Bars]) -> None:
    # Given a drift that halts on some days of 2012 and not on others
    onnx, manifest = _manifest(bars, shift_sd=0.5)
    days = _days(bars, date(2012, 1, 3), date(2012, 12, 31))
    deps = in_memory_deps(manifest, onnx, bars, datetime(2013, 1, 1, tzinfo=UTC))
    # When the service decides each close, and the backtest's live mode runs the same days
    served = {s: [] for s in SYMBOLS}
    halted = 0
    for day in days:
        outcome = run_signals(close_of(day), None, deps)
        halted += outcome.health is not None and outcome.health.drift.level is DriftLevel.HALT
        for s in outcome.signals:
            served[s.symbol].append(float(s.target_weight))
    reference = DriftReference.from_manifest(manifest)
    targets = live_targets(OnnxPredictor(onnx, manifest), bars, days, manifest["policy"], 3, reference)
    # Then they decide the same target every day, halted days included
    assert 0 < halted < len(days), halted
    for s in SYMBOLS:
        np.testing.assert_array_equal(targets[s], served[s])
    # And without the reference the backtest would have entered on some halted day
    free = live_targets(OnnxPredictor(onnx, manifest), bars, days, manifest["policy"], 3)
    assert any(not np.array_equal(free[s], targets[s]) for s in SYMBOLS)
