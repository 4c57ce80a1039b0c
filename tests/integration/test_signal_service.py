"""The signal service through the local router and the scheduler's event, against moto: the live
model (404 with a hint, manifest + presigned .h5), refusals (corrupt model, stale data, old model),
idempotent reruns, and input validation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from signal_fixtures import (
    POLICY,
    SYMBOLS,
    build_artifact,
    drain_queue,
    publish,
    queued,
    set_latest,
    stack_bars,
    wipe_signals,
)

from tests.conftest import table_count
from tradeloop_common.predictor import OnnxPredictor
from tradeloop_common.valuation import close_of
from tradeloop_local.lambda_pool import FunctionError
from tradeloop_local.scheduler import scheduled_event


@pytest.fixture(scope="module")
def artifact(aws_env: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    bars = {s: stack_bars(aws_env, s) for s in SYMBOLS}
    return build_artifact(tmp_path_factory.mktemp("signal-model"), bars)


@pytest.fixture
def clean(aws_env: dict[str, Any], local_runtime: Any, fresh_account: Any) -> None:
    """No signals, an empty queue, a fresh account."""
    drain_queue(local_runtime)
    wipe_signals(aws_env)
    fresh_account()


def _run(api: str, **body: Any) -> requests.Response:
    return requests.post(f"{api}/signals/run", json=body, timeout=120)


def _first_day_with_entry(aws_env: dict[str, Any], artifact: Path) -> date:
    """The first 2012 close at which the model goes long some symbol (so the run sends an intent)."""
    predictor = OnnxPredictor(
        (artifact / "model.onnx").read_bytes(), json.loads((artifact / "manifest.json").read_text())
    )
    days: list[date] = []
    for symbol in SYMBOLS:
        b = stack_bars(aws_env, symbol)
        prob = predictor.predict_series(
            *(np.array([float(v) for v in c]) for c in (b.open, b.high, b.low, b.close, b.volume))
        )
        days += [d for d, p in zip(b.dates, prob, strict=True) if d.year == 2012 and p > POLICY["enter"]]
    return min(days)


def test_models_current_is_404_with_a_hint_before_any_model(local_api: str, aws_env: dict[str, Any]) -> None:
    # Given no live model
    set_latest(aws_env, None)
    # When the live model is asked for
    r = requests.get(f"{local_api}/models/current", timeout=60)
    # Then 404, and the error says how to get one
    assert r.status_code == 404, r.text
    err = r.json()["error"]
    assert err["code"] == "not_found" and "train-and-publish" in err["details"][0]["fix"]


def test_no_model_means_hold_signals_and_no_intent(local_api: str, aws_env: dict[str, Any], clean: None) -> None:
    set_latest(aws_env, None)
    r = _run(local_api, as_of="2012-06-01", symbols=["IBM"])
    assert r.status_code == 200, r.text
    (signal,) = r.json()["signals"]
    assert signal["action"] == "HOLD" and "no live model" in signal["reason"] and signal["target_weight"] == 0
    assert r.json()["intents"] == [] and queued(aws_env) == 0


def test_models_current_returns_manifest_and_a_working_h5_url(
    local_api: str, aws_env: dict[str, Any], artifact: Path
) -> None:
    # Given a published, promoted model
    publish(aws_env, artifact, "v-current")
    # When the live model is asked for through the router
    r = requests.get(f"{local_api}/models/current", timeout=60)
    # Then it names the version, carries the manifest, and the presigned URL serves the .h5 itself
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == "v-current" and body["manifest"]["policy"] == POLICY
    assert body["serving"]["loaded"] is True and body["serving"]["error"] is None
    h5 = requests.get(body["model_h5_url"], timeout=60)
    assert h5.status_code == 200 and h5.content == (artifact / "model.h5").read_bytes()
    # And it says how the version went live, and where its report is
    assert body["promotion"] == {"action": "promote", "promoted_at": "2026-01-02T03:04:05Z"}
    assert "/v-current/report.html" in body["report_url"]


def test_run_posted_as_a_form_is_400_naming_the_json_header_and_writes_nothing(
    local_api: str, aws_env: dict[str, Any], clean: None
) -> None:
    # Given the body `curl -d` sends without a header: JSON text under a form content type
    body = '{"as_of": "2012-06-01", "symbols": ["IBM"]}'
    r = requests.post(
        f"{local_api}/signals/run",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=60,
    )
    # Then 400 says which header to send, and nothing is written
    assert r.status_code == 400, r.text
    assert "Content-Type: application/json" in r.json()["error"]["details"][0]["fix"]
    assert table_count(aws_env, "TRADELOOP_SIGNALS_TABLE") == 0
    # And with the header (the README's curl example) the same body runs
    r = requests.post(f"{local_api}/signals/run", data=body, headers={"content-type": "application/json"}, timeout=120)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"as_of": "yesterday"}, "as_of"),
        ({"symbols": ["aapl"]}, "symbols.0"),
        ({"symbols": []}, "symbols"),
        ({"symbols": ["IBM", "ZZZZ"]}, "symbols"),
        ({"as_of": "2012-06-01", "bogus": 1}, "bogus"),
        # decision times outside the window (1970-01-01 .. now + 1 day): once written, a signal row is forever
        ({"as_of": "0001-01-01", "symbols": ["AAPL"]}, "as_of"),
        ({"as_of": "1969-12-31T23:59:59Z"}, "as_of"),
        ({"as_of": "9999-12-31", "symbols": ["AAPL"]}, "as_of"),
        ({"as_of": "9999-12-31T23:59:59-12:00"}, "as_of"),
        ({"as_of": "0001-01-01T00:00:00+12:00"}, "as_of"),
    ],
)
def test_run_with_bad_input_is_422_naming_the_field_and_writes_nothing(
    local_api: str, aws_env: dict[str, Any], clean: None, body: dict[str, Any], field: str
) -> None:
    r = _run(local_api, **body)
    assert r.status_code == 422, r.text
    assert field in [d["field"] for d in r.json()["error"]["details"]]
    assert table_count(aws_env, "TRADELOOP_SIGNALS_TABLE") == 0 and queued(aws_env) == 0


def test_scheduled_run_with_a_decision_time_outside_the_window_fails_and_writes_nothing(
    local_runtime: Any, aws_env: dict[str, Any], clean: None
) -> None:
    # Given a scheduled event whose detail asks for year 1
    event = scheduled_event(datetime(1, 1, 1, 21, tzinfo=UTC))
    # When the signal function runs it
    with pytest.raises(FunctionError) as failed:
        local_runtime.pools["signal"].invoke(event)
    # Then it refuses, naming the field and the window, and writes no signal and sends no intent
    assert "as_of" in str(failed.value) and "1970-01-01" in str(failed.value)
    assert table_count(aws_env, "TRADELOOP_SIGNALS_TABLE") == 0 and queued(aws_env) == 0
    # And the same holds for the portfolio's snapshot schedule
    with pytest.raises(FunctionError):
        local_runtime.pools["portfolio"].invoke(event)
    assert table_count(aws_env, "TRADELOOP_SNAPSHOTS_TABLE") == 0


def test_run_with_a_non_object_body_is_refused(local_api: str, clean: None) -> None:
    r = requests.post(f"{local_api}/signals/run", data="[1]", headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body"


def _flip_byte(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
    data = bytearray(files["model.onnx"])
    data[len(data) // 2] ^= 0xFF
    files["model.onnx"] = bytes(data)  # the manifest keeps the original sha256


def _truncate_and_rehash(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
    import hashlib

    files["model.onnx"] = files["model.onnx"][: len(files["model.onnx"]) // 3]
    # verifiable (the sha matches) but not a loadable model
    manifest["artifacts"]["model.onnx"]["sha256"] = hashlib.sha256(files["model.onnx"]).hexdigest()


def _bad_parity(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
    manifest["onnx_parity"]["max_abs_diff"] = 0.01


def _no_sha(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
    del manifest["artifacts"]["model.onnx"]


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (_flip_byte, "sha256"),
        (_truncate_and_rehash, "does not load"),
        (_bad_parity, "parity"),
        (_no_sha, "manifest"),
    ],
    ids=["sha-mismatch", "truncated-onnx", "parity", "unverifiable"],
)
def test_corrupt_model_gives_hold_signals_and_no_intent_or_order(
    local_api: str,
    local_runtime: Any,
    aws_env: dict[str, Any],
    artifact: Path,
    clean: None,
    mutate: Any,
    reason: str,
) -> None:
    # Given a day on which the good model would buy, and a corrupted copy of it promoted
    day = _first_day_with_entry(aws_env, artifact)
    publish(aws_env, artifact, f"v-bad-{mutate.__name__}-{datetime.now(UTC):%H%M%S%f}", mutate=mutate)
    # When the signal job runs for that day
    r = _run(local_api, as_of=day.isoformat())
    # Then every symbol HOLDs with the reason, nothing is queued and no order exists
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["holds"] == len(SYMBOLS) and body["intents"] == []
    for s in body["signals"]:
        assert s["action"] == "HOLD" and reason in s["reason"] and s["target_weight"] == 0, s
    assert queued(aws_env) == 0
    drain_queue(local_runtime)
    assert table_count(aws_env, "TRADELOOP_ORDERS_TABLE") == 0
    # And once a good model is promoted again, the next run trades
    publish(aws_env, artifact, f"v-good-{datetime.now(UTC):%H%M%S%f}")
    nxt = _run(local_api, as_of=close_of(day).replace(hour=22).isoformat()).json()
    assert nxt["holds"] == 0 and nxt["intents"], nxt


def test_same_scheduled_event_twice_gives_same_signals_one_rebalance_and_one_order_per_symbol(
    local_api: str, local_runtime: Any, aws_env: dict[str, Any], artifact: Path, clean: None
) -> None:
    # Given a good live model and a close at which it goes long at least one symbol
    publish(aws_env, artifact, f"v-idem-{datetime.now(UTC):%H%M%S%f}")
    day = _first_day_with_entry(aws_env, artifact)
    event = scheduled_event(close_of(day))
    # When EventBridge delivers the same scheduled event twice
    first = local_runtime.pools["signal"].invoke(event, timeout=120)
    second = local_runtime.pools["signal"].invoke(event, timeout=120)
    # Then both runs return the same signals (same ids, written once) and the same rebalance intent
    assert first["holds"] == 0 and len(first["intents"]) == 1
    assert [s["signal_id"] for s in first["signals"]] == [s["signal_id"] for s in second["signals"]]
    assert first["signals"] == second["signals"] and first["intents"] == second["intents"]
    assert table_count(aws_env, "TRADELOOP_SIGNALS_TABLE") == len(SYMBOLS)
    # And the queue holds it once (FIFO dedup drops the resend): every symbol's target, for the account
    (intent,) = first["intents"]
    assert intent["targets"] == {s["symbol"]: s["target_weight"] for s in first["signals"]}
    assert queued(aws_env) == 1
    (message,) = (
        aws_env["session"]
        .client("sqs")
        .receive_message(
            QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId"],
        )["Messages"]
    )
    assert message["Attributes"]["MessageGroupId"] == "paper"
    assert message["Attributes"]["MessageDeduplicationId"] == intent["intent_id"]
    assert intent["model_version"] and intent["as_of"].startswith(day.isoformat()) and intent["session"] == str(day)
    # And the order function places one market-on-open order per symbol going long, even when the
    # run is repeated later (the same intent, the same order ids)
    assert drain_queue(local_runtime) == 1
    local_runtime.pools["signal"].invoke(event, timeout=120)
    drain_queue(local_runtime)
    orders = requests.get(f"{local_api}/orders", timeout=60).json()["orders"]
    longs = sorted(s["symbol"] for s in first["signals"] if s["target_weight"] > 0)
    assert sorted(o["symbol"] for o in orders) == longs
    assert {o["client_order_id"] for o in orders} == {f"signal:{intent['intent_id']}:{s}" for s in longs}
    assert all(o["status"] == "PENDING" and o["side"] == "BUY" and o["time_in_force"] == "opg" for o in orders)


def test_get_signals_latest_per_symbol_and_paged_history(
    local_api: str, aws_env: dict[str, Any], artifact: Path, clean: None
) -> None:
    # Given three days of signals
    publish(aws_env, artifact, f"v-list-{datetime.now(UTC):%H%M%S%f}")
    days = ["2012-06-04", "2012-06-05", "2012-06-06"]
    for d in days:
        assert _run(local_api, as_of=d).status_code == 200
    # When the latest signals are listed; Then one per symbol, from the last day
    latest = requests.get(f"{local_api}/signals", timeout=60).json()["signals"]
    assert sorted(s["symbol"] for s in latest) == sorted(SYMBOLS)
    assert {s["as_of"][:10] for s in latest} == {"2012-06-06"}
    # When one symbol's history is paged two at a time; Then newest first, then the rest, then no token
    page1 = requests.get(f"{local_api}/signals", params={"symbol": "IBM", "limit": 2}, timeout=60).json()
    assert [s["as_of"][:10] for s in page1["signals"]] == ["2012-06-06", "2012-06-05"] and page1["next_token"]
    page2 = requests.get(
        f"{local_api}/signals", params={"symbol": "IBM", "limit": 2, "next_token": page1["next_token"]}, timeout=60
    ).json()
    assert [s["as_of"][:10] for s in page2["signals"]] == ["2012-06-04"] and page2["next_token"] is None
    # And bad query parameters are refused naming the parameter
    bad = requests.get(f"{local_api}/signals", params={"symbol": "ibm", "limit": 0}, timeout=60)
    assert bad.status_code == 422 and {"symbol", "limit"} <= {d["field"] for d in bad.json()["error"]["details"]}


def test_stale_data_holds(local_api: str, aws_env: dict[str, Any], artifact: Path, clean: None) -> None:
    # Given a good model, and a decision time long after the last bar of the sample data
    publish(aws_env, artifact, f"v-stale-{datetime.now(UTC):%H%M%S%f}")
    r = _run(local_api, as_of="2014-06-02", symbols=["IBM"])
    (signal,) = r.json()["signals"]
    assert signal["action"] == "HOLD" and "stale data" in signal["reason"] and not r.json()["intents"]


def test_model_older_than_the_limit_holds(local_api: str, aws_env: dict[str, Any], artifact: Path, clean: None) -> None:
    def old(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
        manifest["created_at"] = "2020-01-01T00:00:00Z"

    publish(aws_env, artifact, f"v-old-{datetime.now(UTC):%H%M%S%f}", mutate=old)
    r = _run(local_api, as_of="2012-06-01", symbols=["IBM"])
    (signal,) = r.json()["signals"]
    assert signal["action"] == "HOLD" and "TRADELOOP_MAX_MODEL_AGE_DAYS" in signal["reason"]
