"""A tiny model of record for the signal-service tests: a Keras logistic layer over the shared
features (weights set, not trained), converted to ONNX by the publishing code and packaged with a
manifest like `make train-and-publish` writes; then published into the emulator's models bucket.

Its scaler comes from the sample bars before 2012, so 2012-2013 is out of sample."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from tradeloop_common.dal.bars import Bars, parse_bars
from tradeloop_common.features import FEATURE_NAMES, FEATURE_PARAMS, LOOKBACK, compute_features
from tradeloop_common.layout import bars_key, latest_key, version_key
from tradeloop_common.settings import get_settings
from tradeloop_local.synthetic import logistic_manifest, logistic_onnx

__all__ = ["logistic_onnx"]  # moved to tradeloop_local.synthetic (the bench builds one too); tests import it here

SYMBOLS = ("AAPL", "GOOG", "IBM", "MSFT")
TRAIN_END = date(2011, 12, 31)
POLICY = {"enter": 0.55, "exit": 0.45, "weight_when_long": 0.25}
# A short-term mean-reversion score: enough to make the policy trade every few days.
WEIGHTS = {"ret_1": -1.2, "ret_5": -0.6, "rsi_14": -0.4, "ma_ratio_50": 0.5, "gap": -0.3}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stack_bars(aws_env: dict[str, Any], symbol: str) -> Bars:
    s3 = aws_env["session"].client("s3")
    body = s3.get_object(Bucket=aws_env["stack"]["TRADELOOP_DATA_BUCKET"], Key=bars_key(symbol))["Body"]
    return parse_bars(symbol, body.read().decode())


def build_artifact(folder: Path, bars: dict[str, Bars]) -> Path:
    """model.h5 + model.onnx (parity-checked) + manifest.json in ``folder``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from ml.publish import convert_and_check

    rows = []
    for b in bars.values():
        n = b.count_upto(TRAIN_END)
        feats, _ = compute_features(*b.feature_columns(0, n))
        rows.append(feats[LOOKBACK:])
    x = np.vstack(rows)
    mean, std = x.mean(axis=0), x.std(axis=0)
    w = np.array([WEIGHTS.get(name, 0.0) for name in FEATURE_NAMES], dtype=np.float32).reshape(-1, 1)
    model = keras.Sequential([keras.Input((len(FEATURE_NAMES),)), keras.layers.Dense(1, activation="sigmoid")])
    model.layers[0].set_weights([w, np.zeros(1, dtype=np.float32)])
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "model.h5")
    batch = np.clip((x[-512:] - mean) / std, -5, 5).astype(np.float32)
    parity = convert_and_check(folder / "model.h5", folder / "model.onnx", batch)
    manifest = {
        "name": "tradeloop",
        "version": "template",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "model": {"kind": "mlp", "framework": "keras/tensorflow", "input_name": parity["input_name"]},
        "features": {
            "module": "tradeloop_common.features",
            "names": list(FEATURE_NAMES),
            "params": FEATURE_PARAMS,
            "lookback": LOOKBACK,
            "window": 1,
            "bars_needed": LOOKBACK,
        },
        "lookback": LOOKBACK,
        "scaler": {"mean": mean.tolist(), "std": std.tolist(), "clip": 5.0},
        "policy": POLICY,
        "training_data": {"symbols": list(bars), "last_date": TRAIN_END.isoformat()},
        "artifacts": {
            f: {"sha256": _sha((folder / f).read_bytes()), "bytes": (folder / f).stat().st_size}
            for f in ("model.h5", "model.onnx")
        },
        "onnx_parity": parity,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return folder


Mutation = Callable[[dict[str, Any], dict[str, bytes]], None]


def publish(
    aws_env: dict[str, Any], artifact: Path, version: str, mutate: Mutation | None = None, promote: bool = True
) -> dict[str, Any]:
    """Upload ``artifact`` as ``version`` (optionally altered by ``mutate(manifest, files)``) and
    point LATEST at it."""
    stack, s3 = aws_env["stack"], aws_env["session"].client("s3")
    manifest = json.loads((artifact / "manifest.json").read_text())
    manifest["version"] = version
    files = {f: (artifact / f).read_bytes() for f in ("model.h5", "model.onnx")}
    if mutate:
        mutate(manifest, files)
    name = get_settings().model_name
    for filename, data in files.items():
        s3.put_object(Bucket=stack["TRADELOOP_MODELS_BUCKET"], Key=version_key(name, version, filename), Body=data)
    s3.put_object(
        Bucket=stack["TRADELOOP_MODELS_BUCKET"],
        Key=version_key(name, version, "manifest.json"),
        Body=json.dumps(manifest),
    )
    if promote:
        set_latest(aws_env, version)
    return manifest


def training_rows(bars: dict[str, Bars], end: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows of every symbol's bars up to ``end`` (after the warm-up): (x, dates, symbols)."""
    x, dates, symbols = [], [], []
    for s, b in sorted(bars.items()):
        n = b.count_upto(end)
        feats, _ = compute_features(*b.feature_columns(0, n))
        x.append(feats[LOOKBACK - 1 :])
        dates.append(np.array(b.dates[LOOKBACK - 1 : n], dtype="datetime64[D]"))
        symbols.append(np.full(n - LOOKBACK + 1, s))
    return np.vstack(x), np.concatenate(dates), np.concatenate(symbols)


def monitoring(
    bars: dict[str, Bars],
    end: date = TRAIN_END,
    shift_sd: dict[str, float] | None = None,
    decay: dict[str, Any] | None = None,
    window_sessions: int = 60,
) -> dict[str, Any]:
    """A manifest's ``monitoring``: the drift reference of the rows up to ``end``; with ``shift_sd``,
    of rows whose named features sat that many standard deviations lower (so live rows look shifted
    up by as much); ``decay``: a promise as ml.monitoring writes it."""
    from tradeloop_common.drift import build_reference

    x, dates, symbols = training_rows(bars, end)
    for name, sd in (shift_sd or {}).items():
        j = FEATURE_NAMES.index(name)
        x[:, j] -= sd * x[:, j].std()
    ref = build_reference(x, dates, symbols, FEATURE_NAMES, window_sessions=window_sessions)
    return {"drift": ref.to_manifest(), **({"decay": decay} if decay else {})}


def publish_logistic_model(
    aws_env: dict[str, Any],
    version: str,
    symbols: tuple[str, ...] = SYMBOLS,
    monitored: dict[str, Any] | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """Publish and promote a logistic ONNX model (no TensorFlow) whose universe is ``symbols``, with
    ``monitored`` as its manifest's ``monitoring``; returns its ONNX bytes and manifest."""
    x, _, _ = training_rows({s: stack_bars(aws_env, s) for s in symbols}, date(2011, 12, 30))
    onnx = logistic_onnx(np.linspace(-0.4, 0.4, len(FEATURE_NAMES)), 0.05)
    manifest = logistic_manifest(version, list(symbols), 0.25, x, onnx)
    if monitored:
        manifest["monitoring"] = monitored
    s3, bucket = aws_env["session"].client("s3"), aws_env["stack"]["TRADELOOP_MODELS_BUCKET"]
    s3.put_object(Bucket=bucket, Key=version_key("tradeloop", version, "model.onnx"), Body=onnx)
    s3.put_object(Bucket=bucket, Key=version_key("tradeloop", version, "manifest.json"), Body=json.dumps(manifest))
    s3.put_object(
        Bucket=bucket, Key=latest_key("tradeloop"), Body=json.dumps({"version": version, "action": "promote"})
    )
    return onnx, manifest


def set_latest(aws_env: dict[str, Any], version: str | None, action: str = "promote") -> None:
    stack, s3 = aws_env["stack"], aws_env["session"].client("s3")
    key = latest_key(get_settings().model_name)
    if version is None:
        s3.delete_object(Bucket=stack["TRADELOOP_MODELS_BUCKET"], Key=key)
    else:
        pointer = {"version": version, "action": action, "promoted_at": "2026-01-02T03:04:05Z"}
        s3.put_object(Bucket=stack["TRADELOOP_MODELS_BUCKET"], Key=key, Body=json.dumps(pointer))


def wipe_signals(aws_env: dict[str, Any]) -> None:
    ddb = aws_env["session"].client("dynamodb")
    table = aws_env["stack"]["TRADELOOP_SIGNALS_TABLE"]
    for page in ddb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="symbol, as_of"):
        for item in page.get("Items", []):
            ddb.delete_item(TableName=table, Key=item)


def drain_queue(local_runtime: Any) -> int:
    handed = 0
    while (n := local_runtime.poller.poll_once(wait_seconds=0)) > 0:
        handed += n
    return handed


def queued(aws_env: dict[str, Any]) -> int:
    attrs = (
        aws_env["session"]
        .client("sqs")
        .get_queue_attributes(
            QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    )
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def copy_artifact(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# ------------------------------------------------------------------ in-memory signal service
# The signal job's stores without AWS, for unit tests of what it decides (``run_signals``).


class InMemorySignals:
    """``SignalStore`` semantics: write-once rows keyed by (symbol, as_of)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, datetime], Any] = {}

    def put(self, signal: Any) -> bool:
        key = (signal.symbol, signal.as_of)
        if key in self.rows:
            return False
        self.rows[key] = signal
        return True

    def get(self, symbol: str, as_of: datetime) -> Any:
        return self.rows.get((symbol, as_of))

    def previous(self, symbol: str, before: datetime) -> Any:
        found = self.before(symbol, before, 1)
        return found[0] if found else None

    def before(self, symbol: str, before: datetime, limit: int) -> list[Any]:
        earlier = sorted((k for k in self.rows if k[0] == symbol and k[1] < before), key=lambda k: k[1], reverse=True)
        return [self.rows[k] for k in earlier[:limit]]

    def put_many(self, signals: list[Any]) -> list[bool]:
        return [self.put(s) for s in signals]

    def get_many(self, symbols: Any, as_of: datetime) -> dict[str, Any]:
        return {s: row for s in symbols if (row := self.get(s, as_of)) is not None}

    def previous_many(self, symbols: Any, before: datetime) -> dict[str, Any]:
        return {s: row for s in symbols if (row := self.previous(s, before)) is not None}


class InMemoryHealth:
    """``HealthStore`` semantics: one write-once record per decision time."""

    def __init__(self) -> None:
        self.records: dict[datetime, Any] = {}

    def put(self, health: Any) -> bool:
        if health.as_of in self.records:
            return False
        self.records[health.as_of] = health
        return True

    def get(self, as_of: datetime) -> Any:
        return self.records.get(as_of)

    def history(self, limit: int) -> list[Any]:
        return [self.records[k] for k in sorted(self.records, reverse=True)[:limit]]


class InMemoryBars:
    def __init__(self, bars: dict[str, Bars]) -> None:
        self.bars = bars

    def get(self, symbol: str) -> Bars:
        return self.bars[symbol]

    def window(self, symbol: str, upto: Any, bars: int, fresh_since: Any = None) -> Bars:
        return self.bars[symbol]  # the whole series is a suffix of itself

    def windows(self, symbols: Any, upto: Any, bars: int, fresh_since: Any = None) -> dict[str, Any]:
        from tradeloop_common.errors import UnknownSymbolError

        return {s: self.bars.get(s) or UnknownSymbolError(f"unknown symbol {s!r}") for s in symbols}

    def symbols(self) -> list[str]:
        return sorted(self.bars)


class ListQueue:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, intent: Any) -> str:
        self.sent.append(intent)
        return intent.intent_id


class FixedModel:
    """A model cache that always serves one built model."""

    def __init__(self, live: Any) -> None:
        self.live = live

    def current(self) -> Any:
        return self.live


class FixedControls:
    """The kill switch and limits, as a test sets them."""

    def __init__(self, controls: Any = None) -> None:
        from tradeloop_common.models import Controls

        self.controls = controls or Controls()

    def get(self, account_id: str) -> Any:
        return self.controls


def in_memory_deps(manifest: dict[str, Any], onnx: bytes, bars: dict[str, Bars], now: datetime) -> Any:
    """``Dependencies`` for ``run_signals`` with the model ``manifest``/``onnx`` live and ``bars`` as data."""
    from signal_service.logic.dependencies import Dependencies
    from signal_service.logic.model_cache import LiveModel, verify_and_build
    from tradeloop_common.clock import FixedClock
    from tradeloop_common.settings import SignalEnv

    manifest, predictor = verify_and_build("v-test", json.dumps(manifest).encode(), onnx)
    live = LiveModel("v-test", "etag", manifest, predictor, None, 0.0)
    return Dependencies(
        signals=InMemorySignals(),  # type: ignore[arg-type]
        bars=InMemoryBars(bars),  # type: ignore[arg-type]
        models=None,  # type: ignore[arg-type]
        model_cache=FixedModel(live),  # type: ignore[arg-type]
        queue=ListQueue(),  # type: ignore[arg-type]
        limits=SignalEnv.model_validate({"TRADELOOP_MAX_MODEL_AGE_DAYS": "0"}),
        controls=FixedControls(),  # type: ignore[arg-type]
        account_id="paper",
        health=InMemoryHealth(),  # type: ignore[arg-type]
        clock=FixedClock(now),
    )
