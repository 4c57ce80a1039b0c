"""The live model's health through the real signal function on the embedded stack (its role, IAM
enforced): a model whose drift reference makes the live ret_1 look one training standard deviation
higher than in training. The daily pipeline's signal step HOLDs the symbol the model wants to enter,
with the reason, still exits the one it wants to leave, keeps the verdict, answers it on
GET /models/health, and emits FeatureDriftLevel for the feature-drift alarm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import requests
from signal_fixtures import SYMBOLS, drain_queue, monitoring, publish_logistic_model, stack_bars, wipe_signals

from tradeloop_common.pipeline import delivered, done_entry, step_of
from tradeloop_common.predictor import OnnxPredictor
from tradeloop_common.valuation import close_of

VERSION = "v-drift"
POLICY_ENTER, POLICY_EXIT = 0.52, 0.48


@pytest.fixture(scope="module")
def drifted(aws_env: dict[str, Any]) -> dict[str, Any]:
    """The model published and live; the first 2012 session where it wants to enter one symbol and
    leave another."""
    bars = {s: stack_bars(aws_env, s) for s in SYMBOLS}
    onnx, manifest = publish_logistic_model(
        aws_env, VERSION, SYMBOLS, monitored=monitoring(bars, shift_sd={"ret_1": 1.0})
    )
    predictor = OnnxPredictor(onnx, manifest)
    prob = {
        s: predictor.predict_series(
            *(np.array([float(v) for v in c]) for c in (b.open, b.high, b.low, b.close, b.volume))
        )
        for s, b in bars.items()
    }
    dates = bars["IBM"].dates
    for i, day in enumerate(dates):
        at = {s: bars[s].count_upto(day) - 1 for s in SYMBOLS}
        if day.year < 2012 or any(bars[s].dates[at[s]] != day for s in SYMBOLS):
            continue
        enter = [s for s in SYMBOLS if prob[s][at[s]] > POLICY_ENTER]
        leave = [s for s in SYMBOLS if prob[s][at[s]] < POLICY_EXIT]
        if enter and leave:
            return {"session": day, "previous": dates[i - 1], "enter": enter[0], "leave": leave[0]}
    raise AssertionError("no 2012 session where the model enters one symbol and leaves another")


def _put_signal(aws_env: dict[str, Any], symbol: str, day: date, weight: str) -> None:
    """The previous session's decision, as the signal service writes it."""
    stamp = close_of(day).isoformat().replace("+00:00", "Z")
    aws_env["session"].resource("dynamodb").Table(aws_env["stack"]["TRADELOOP_SIGNALS_TABLE"]).put_item(
        Item={
            "symbol": symbol,
            "as_of": stamp,
            "signal_id": f"{symbol}-prev",
            "probability": Decimal("0.5"),
            "target_weight": Decimal(weight),
            "model_version": VERSION,
            "action": "TARGET",
            "created_at": stamp,
        }
    )


def _signal_step_event(session: date) -> dict[str, Any]:
    """What the fill step's done event delivers to the signal function (tradeloop_common.pipeline)."""
    return delivered(done_entry(step_of("fill"), {"session": session.isoformat()}))


def test_the_signal_step_holds_entries_and_keeps_exits_while_drift_halts(
    aws_env: dict[str, Any], local_runtime: Any, local_api: str, fresh_account: Any, drifted: dict[str, Any]
) -> None:
    # Given the previous close left the symbol to enter flat and the one to leave long
    enter, leave, session = drifted["enter"], drifted["leave"], drifted["session"]
    _put_signal(aws_env, enter, drifted["previous"], "0")
    _put_signal(aws_env, leave, drifted["previous"], "0.25")
    try:
        # When the daily pipeline's signal step runs for the session, as its function
        report = local_runtime.pools["signal"].invoke(_signal_step_event(session), timeout=120)
        # Then the model's drift is at HALT, naming ret_1 beyond its envelope by more than 0.25
        drift = report["health"]["drift"]
        assert drift["level"] == "HALT" and drift["worst"] == "ret_1", drift
        ret_1 = next(f for f in drift["features"] if f["name"] == "ret_1")
        assert ret_1["excess"] > 0.25 and ret_1["psi"] > ret_1["envelope"]
        # And the entry is a HOLD with the reason, its previous target kept; the exit trades
        by_symbol = {s["symbol"]: s for s in report["signals"]}
        held = by_symbol[enter]
        assert held["action"] == "HOLD" and held["target_weight"] == 0, held
        assert held["reason"].startswith("feature drift: ret_1 PSI")
        assert held["reason"].endswith("new entries are held, exits still trade")
        assert by_symbol[leave]["action"] == "TARGET" and by_symbol[leave]["target_weight"] == 0
        # And the rebalance sends the exit and nothing for the held symbol
        (intent,) = report["intents"]
        assert intent["targets"][leave] == 0 and enter not in intent["targets"]
        # And the verdict is kept: GET /models/health answers it, with the levels
        body = requests.get(f"{local_api}/models/health", params={"limit": 5}, timeout=60).json()
        assert body["live_version"] == VERSION and body["thresholds"]["halt_excess"] == 0.25
        (run,) = [r for r in body["runs"] if r["as_of"].startswith(session.isoformat())]
        assert run["drift"]["level"] == "HALT" and run["model_version"] == VERSION
        # And a rerun of the step reads the same verdict and the same signals
        again = local_runtime.pools["signal"].invoke(_signal_step_event(session), timeout=120)
        assert again["health"] == report["health"] and again["signals"] == report["signals"]
    finally:
        drain_queue(local_runtime)
        wipe_signals(aws_env)


def test_model_health_validates_its_limit(local_api: str) -> None:
    r = requests.get(f"{local_api}/models/health", params={"limit": 0}, timeout=60)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["field"] == "limit"


# A fresh interpreter, as a Lambda instance: the environment is set before the handler is imported.
INVOKE = """
import json, sys
from signal_service.main import lambda_handler
from tradeloop_local.lambda_pool import LocalLambdaContext
result = lambda_handler(json.loads(sys.argv[1]), LocalLambdaContext("tradeloop-signal"))
print(json.dumps({"drift": result["health"]["drift"]["level"]}))
"""


def test_the_signal_step_emits_the_drift_level_for_the_alarm(
    aws_env: dict[str, Any], fresh_account: Any, drifted: dict[str, Any]
) -> None:
    # Given the signal function's environment (the stack's names, its service name and namespace)
    function = aws_env["info"].functions.get("signal")
    env = {**os.environ, **(function.environment if function else {}), "POWERTOOLS_SERVICE_NAME": "signal"}
    env.pop("POWERTOOLS_METRICS_DISABLED", None)
    env["AWS_ENDPOINT_URL"] = aws_env["endpoint_url"]
    try:
        # When the signal step runs for the drifted session
        event = json.dumps(_signal_step_event(drifted["session"]))
        proc = subprocess.run(
            [sys.executable, "-c", INVOKE, event], env=env, capture_output=True, text=True, timeout=180
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        # Then one EMF record carries FeatureDriftLevel = 2 (halt) in the stack's namespace, service=signal
        records = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{") and '"_aws"' in ln]
        drift = [r for r in records if "FeatureDriftLevel" in r]
        assert len(drift) == 1, proc.stdout[-3000:]
        directive = drift[0]["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "tradeloop" and ["service"] in directive["Dimensions"]
        assert drift[0]["service"] == "signal" and drift[0]["FeatureDriftLevel"] in (2.0, [2.0])
    finally:
        wipe_signals(aws_env)
