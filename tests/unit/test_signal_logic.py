"""The signal service's pure parts: the policy (series == one step at a time), the intent order,
the decision time, stale data, and the live-model cache (verify, build, then swap)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from signal_fixtures import logistic_onnx

from signal_service.logic.decision_time import decision_time
from signal_service.logic.model_cache import ModelCache
from signal_service.logic.run_signals import signal_id_for, stale_reason
from tradeloop_common.clock import FixedClock
from tradeloop_common.dal.bars import Bars
from tradeloop_common.dal.registry import ArtifactMissingError, LivePointer
from tradeloop_common.features import FEATURE_NAMES, LOOKBACK
from tradeloop_common.policy import intent_order, target_weight, target_weights

POLICY = {"enter": 0.55, "exit": 0.45, "weight_when_long": 0.25}


def test_policy_over_a_series_equals_the_policy_one_step_at_a_time() -> None:
    # Given probabilities that cross both thresholds and sit in between, with warm-up NaNs
    rng = np.random.default_rng(7)
    prob = np.concatenate([[np.nan, np.nan], 0.5 + 0.1 * rng.standard_normal(500)])
    # When the vectorised policy and the Lambda's step-by-step rule run over them
    series = target_weights(prob, POLICY["enter"], POLICY["exit"], POLICY["weight_when_long"])
    current, stepped = 0.0, []
    for p in prob:
        current = current if np.isnan(p) else target_weight(float(p), current, POLICY)
        stepped.append(current)
    # Then they agree everywhere, and the policy does trade both ways
    assert series.tolist() == stepped
    assert 0.0 in stepped and 0.25 in stepped


def test_intents_reduce_before_they_add() -> None:
    runs = [(Decimal("0.25"), Decimal("0"), "MSFT"), (Decimal("0"), Decimal("0.25"), "AAPL")]
    runs.append((Decimal("0.25"), Decimal("0"), "AAPL"))
    ordered = sorted(runs, key=lambda r: intent_order(*r))
    assert [(r[2], r[1]) for r in ordered] == [("AAPL", 0), ("MSFT", 0), ("AAPL", Decimal("0.25"))]


def test_decision_time_date_means_that_close_and_ids_are_deterministic() -> None:
    clock = FixedClock(datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    assert decision_time("2012-06-01", clock) == datetime(2012, 6, 1, 21, 0, tzinfo=UTC)
    assert decision_time(date(2012, 6, 1), clock) == datetime(2012, 6, 1, 21, 0, tzinfo=UTC)
    assert decision_time("2012-06-01T15:00:00", clock) == datetime(2012, 6, 1, 15, 0, tzinfo=UTC)
    assert decision_time(None, clock) == clock.now()
    at = datetime(2012, 6, 1, 21, tzinfo=UTC)
    assert signal_id_for("v1", "IBM", at) == signal_id_for("v1", "IBM", at) != signal_id_for("v2", "IBM", at)


def _bars(days: list[date]) -> Bars:
    one = tuple(Decimal(1) for _ in days)
    return Bars("IBM", tuple(days), one, one, one, one, one)


def test_stale_data_counts_trading_days() -> None:
    bars = _bars([date(2012, 6, 1)])  # a Friday
    monday = datetime(2012, 6, 4, 21, tzinfo=UTC)
    assert stale_reason(bars, monday, 1) is None  # one trading day old
    assert "stale data" in str(stale_reason(bars, datetime(2012, 6, 7, 21, tzinfo=UTC), 3))
    assert "no bars" in str(stale_reason(bars, datetime(2012, 5, 1, tzinfo=UTC), 3))


class FakeModelStore:
    model_name = "m"

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], bytes] = {}
        self.latest: tuple[str, str] | None = None
        self.reads = 0
        self.checks = 0

    def add(self, version: str, onnx: bytes, sha: str | None = None) -> None:
        k = len(FEATURE_NAMES)
        manifest = {
            "version": version,
            "created_at": "2026-01-01T00:00:00Z",
            "model": {"kind": "mlp"},
            "features": {"names": list(FEATURE_NAMES), "window": 1, "bars_needed": LOOKBACK},
            "scaler": {"mean": [0.0] * k, "std": [1.0] * k, "clip": 5.0},
            "policy": POLICY,
            "artifacts": {"model.onnx": {"sha256": sha or hashlib.sha256(onnx).hexdigest()}},
            "onnx_parity": {"max_abs_diff": 1e-7},
        }
        self.files[(version, "model.onnx")] = onnx
        self.files[(version, "manifest.json")] = json.dumps(manifest).encode()

    def live(self, if_none_match: str | None = None) -> Any:
        self.checks += 1
        if self.latest is None:
            return None
        version, etag = self.latest
        return False if if_none_match == etag else LivePointer(version, etag)

    def read(self, version: str, filename: str) -> bytes:
        self.reads += 1
        try:
            return self.files[(version, filename)]
        except KeyError:
            raise ArtifactMissingError(f"{version}/{filename} missing") from None


def test_model_cache_verifies_builds_then_swaps_and_rechecks_by_etag() -> None:
    store, now = FakeModelStore(), [0.0]
    cache = ModelCache(store, check_seconds=60, monotonic=lambda: now[0])  # type: ignore[arg-type]
    good = logistic_onnx(np.linspace(-1, 1, len(FEATURE_NAMES)), 0.0)
    # No LATEST: unusable, with the reason
    assert not cache.current().usable and "no live model" in str(cache.current().error)
    # A good version: loaded once; within the check interval LATEST is not even read
    store.add("v1", good)
    store.latest = ("v1", "e1")
    now[0] = 61
    v1 = cache.current()
    assert v1.usable and v1.version == "v1" and store.reads == 2
    checks = store.checks
    assert cache.current() is v1 and store.checks == checks
    # After the interval: a 304 keeps the same predictor without downloading anything
    now[0] = 200
    assert cache.current().predictor is v1.predictor and store.reads == 2
    # LATEST moves to a version whose ONNX does not match its manifest: refused, nothing served
    store.add("v2", good, sha="0" * 64)
    store.latest = ("v2", "e2")
    now[0] = 300
    v2 = cache.current()
    assert not v2.usable and v2.predictor is None and "sha256" in str(v2.error)
    # LATEST moves to a good version again: served
    store.add("v3", good)
    store.latest = ("v3", "e3")
    now[0] = 400
    assert cache.current().usable and cache.current().version == "v3"


@pytest.mark.parametrize("damage", ["truncate", "missing"])
def test_model_cache_refuses_a_truncated_or_missing_onnx(damage: str) -> None:
    store, now = FakeModelStore(), [100.0]
    cache = ModelCache(store, check_seconds=0, monotonic=lambda: now[0])  # type: ignore[arg-type]
    onnx = logistic_onnx(np.zeros(len(FEATURE_NAMES)), 0.0)
    store.add("v1", onnx[: len(onnx) // 2])  # sha matches the truncated bytes
    if damage == "missing":
        del store.files[("v1", "model.onnx")]
    store.latest = ("v1", "e1")
    live = cache.current()
    assert not live.usable and ("does not load" in str(live.error) or "missing" in str(live.error))


def test_signal_lambda_imports_neither_pandas_nor_tensorflow_nor_ml() -> None:
    # Given a fresh interpreter in which pandas, TensorFlow, Keras and the ml package cannot be imported
    import subprocess
    import sys

    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pandas', 'tensorflow', 'keras', 'sklearn', 'ml'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import signal_service.main, signal_service.handlers.api, signal_service.handlers.handle_schedule\n"
        "import signal_service.logic.run_signals\n"
    )
    # When the signal Lambda's modules are imported; Then they load (onnxruntime + numpy only)
    env = {"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
