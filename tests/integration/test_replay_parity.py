"""Backtest/live parity: replaying the live loop (scheduler event -> signal function -> SQS FIFO ->
order function -> snapshot) over an out-of-sample period gives the same fills and the same final
equity as the backtest's live-execution mode run on the same model artifact and cost model."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from signal_fixtures import SYMBOLS, TRAIN_END, build_artifact, drain_queue, publish, stack_bars, wipe_signals

from ml.backtest import backtest_live, live_targets
from tests.utils import loud, set_controls
from tradeloop_common.drift import DriftReference
from tradeloop_common.models import Controls
from tradeloop_common.predictor import OnnxPredictor
from tradeloop_common.settings import BrokerEnv, SignalEnv
from tradeloop_local.replay import replay

# The sample's last year, after the model's training range (<= 2011): out of sample.
START, END = date(2012, 3, 1), date(2013, 3, 1)
INIT_CASH = Decimal("100000")


@pytest.fixture(scope="module")
def artifact(aws_env: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    bars = {s: stack_bars(aws_env, s) for s in SYMBOLS}
    return build_artifact(tmp_path_factory.mktemp("parity-model"), bars)


def _live_fills(api: str) -> list[tuple[str, str, str, int, Decimal, Decimal]]:
    orders, token = [], None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"next_token": token} if token else {})}
        page = requests.get(f"{api}/orders", params=params, timeout=60).json()
        orders += page["orders"]
        token = page["next_token"]
        if not token:
            break
    return sorted(
        (
            f["filled_at"][:10],
            o["symbol"],
            o["side"],
            f["quantity"],
            Decimal(str(f["price"])),
            Decimal(str(f["commission"])),
        )
        for o in orders
        if o["status"] == "FILLED"
        for f in o["fills"]
    ), [o for o in orders if o["status"] != "FILLED"]


def test_replay_of_the_live_loop_matches_the_live_execution_backtest(
    local_api: str, local_runtime: Any, aws_env: dict[str, Any], artifact: Path, fresh_account: Any
) -> None:
    assert TRAIN_END < START
    # Given the model artifact live, an empty signals table, an empty queue and a fresh account
    drain_queue(local_runtime)
    wipe_signals(aws_env)
    fresh_account(INIT_CASH)
    manifest = publish(aws_env, artifact, f"v-parity-{datetime.now(UTC):%H%M%S%f}")

    # When the live loop is replayed day by day over the out-of-sample period
    result = replay(
        local_runtime.pools,
        local_runtime.poller,
        aws_env["session"],
        aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
        aws_env["stack"]["TRADELOOP_DATA_BUCKET"],
        START,
        END,
        log=lambda _: None,
    )
    live_fills, not_filled = _live_fills(local_api)

    # And the same artifact is backtested in live-execution mode with the same cost model
    bars = {s: stack_bars(aws_env, s) for s in SYMBOLS}
    predictor = OnnxPredictor((artifact / "model.onnx").read_bytes(), manifest)
    limits = SignalEnv.model_validate(dict(os.environ))
    targets = live_targets(
        predictor,
        bars,
        result.days,
        manifest["policy"],
        limits.max_bar_age_days,
        DriftReference.from_manifest(manifest),
    )
    costs = BrokerEnv.model_validate(dict(os.environ))
    bt = backtest_live(bars, targets, result.days, INIT_CASH, costs.commission_bps, costs.slippage_bps)

    # Then both made the same fills (day, symbol, side, quantity, price, commission) ...
    bt_fills = sorted((f.filled_on.isoformat(), f.symbol, f.side, f.quantity, f.price, f.commission) for f in bt.fills)
    assert len(live_fills) > 20, "the model should trade in this period"
    assert live_fills == bt_fills
    assert len(not_filled) == len(bt.rejected)
    # ... and the same equity at every close, to the cent, so the final equity too (<= 1e-9 relative)
    assert result.equity == bt.equity
    assert abs(result.final_equity - bt.final_equity) <= Decimal("1e-9") * abs(bt.final_equity)
    assert result.final_equity != INIT_CASH
    loud(
        f"parity: {len(result.days)} days, {len(live_fills)} fills, {len(not_filled)} not filled, final equity "
        f"live {result.final_equity} backtest {bt.final_equity}; replay {result.seconds:.1f} s"
    )


def test_a_tight_drawdown_limit_stops_buying_by_itself_on_the_day_it_is_crossed(
    local_api: str, local_runtime: Any, aws_env: dict[str, Any], artifact: Path, fresh_account: Any
) -> None:
    # Given the model live, a fresh account and a drawdown limit of 3 % (REDUCE_ONLY when crossed)
    drain_queue(local_runtime)
    wipe_signals(aws_env)
    fresh_account(INIT_CASH)
    limits = {"max_drawdown": 0.03, "max_daily_loss": 0, "loss_action": "REDUCE_ONLY"}
    set_controls(local_api, limits=limits, reason="a tight limit for the test")
    manifest = publish(aws_env, artifact, f"v-dd-{datetime.now(UTC):%H%M%S%f}")
    # When the live loop is replayed over spring 2012 (AAPL fell about 20 % in April-May)
    start, end = date(2012, 3, 1), date(2012, 6, 29)
    result = replay(
        local_runtime.pools,
        local_runtime.poller,
        aws_env["session"],
        aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
        aws_env["stack"]["TRADELOOP_DATA_BUCKET"],
        start,
        end,
        log=lambda _: None,
    )
    # Then the state flipped by itself on the first close 3 % below the peak, recorded with the rule as actor
    peak, crossed = Decimal(0), None
    for day, equity in zip(result.days, result.equity, strict=True):
        peak = max(peak, equity)
        if equity / peak - 1 <= Decimal("-0.03"):
            crossed = day
            break
    assert crossed is not None, "the limit should be crossed in this stretch"
    changes = requests.get(f"{local_api}/controls/history", timeout=30).json()["changes"]
    (by_rule,) = [c for c in changes if c["actor"] == "rule:max_drawdown"]
    assert (by_rule["old_state"], by_rule["new_state"]) == ("ACTIVE", "REDUCE_ONLY")
    assert f"at the close of {crossed}" in by_rule["reason"] and "max_drawdown 3.00%" in by_rule["reason"]
    assert requests.get(f"{local_api}/controls", timeout=30).json()["trading_state"] == "REDUCE_ONLY"
    # And no buy filled after that close; sells still could
    fills, _ = _live_fills(local_api)
    assert fills and not [f for f in fills if f[2] == "BUY" and f[0] > crossed.isoformat()]
    # And the backtest's live mode, under the same limit, flips on the same day with the same fills
    bars = {s: stack_bars(aws_env, s) for s in SYMBOLS}
    predictor = OnnxPredictor((artifact / "model.onnx").read_bytes(), manifest)
    limits_env = SignalEnv.model_validate(dict(os.environ))
    targets = live_targets(
        predictor,
        bars,
        result.days,
        manifest["policy"],
        limits_env.max_bar_age_days,
        DriftReference.from_manifest(manifest),
    )
    costs = BrokerEnv.model_validate(dict(os.environ))
    controls = Controls.model_validate({"limits": limits})
    bt = backtest_live(bars, targets, result.days, INIT_CASH, costs.commission_bps, costs.slippage_bps, controls)
    assert bt.state_changes == [(crossed, "max_drawdown", "REDUCE_ONLY")]
    assert fills == sorted(
        (f.filled_on.isoformat(), f.symbol, f.side, f.quantity, f.price, f.commission) for f in bt.fills
    )
    assert result.equity == bt.equity
