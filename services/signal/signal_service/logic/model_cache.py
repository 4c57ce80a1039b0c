"""The live model, loaded once per warm process and swapped atomically when LATEST moves.

A check reads ``models/<name>/LATEST`` with ``If-None-Match`` (a 304 costs nothing) at most every
``TRADELOOP_MODEL_CHECK_SECONDS``. A new version is downloaded, sha256-verified against its
manifest and fully built into a predictor before it replaces the cached one; a version that
fails any check is cached as *unusable* with the reason, and the service HOLDs until LATEST
names a good one."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tradeloop_common.clock import parse_as_of
from tradeloop_common.dal.registry import LivePointer, ModelStore
from tradeloop_common.errors import StoreError
from tradeloop_common.layout import latest_key
from tradeloop_common.observability import logger
from tradeloop_common.predictor import PARITY_TOLERANCE, OnnxPredictor


@dataclass(frozen=True)
class LiveModel:
    """What LATEST pointed at when last checked; ``predictor`` is None when it cannot be used."""

    version: str | None
    etag: str | None
    manifest: dict[str, Any] | None
    predictor: OnnxPredictor | None
    error: str | None
    checked_at: float

    @property
    def usable(self) -> bool:
        return self.predictor is not None and self.error is None

    @property
    def policy(self) -> dict[str, Any]:
        return dict((self.manifest or {}).get("policy") or {})

    @property
    def universe(self) -> list[str]:
        """The symbols the model was evaluated on (empty for manifests from before the universe)."""
        return sorted(self.policy.get("weights") or {})

    def age_error(self, now: datetime, max_age_days: int) -> str | None:
        """Why the model is too old to trade at ``now`` (None when fresh, or when the limit is 0)."""
        if not max_age_days or not self.manifest:
            return None
        created = parse_as_of(str(self.manifest["created_at"]))
        age = (now - created).total_seconds() / 86400
        if age > max_age_days:
            return (
                f"model {self.version} was created {age:.0f} days ago "
                f"(TRADELOOP_MAX_MODEL_AGE_DAYS={max_age_days}): retrain and promote a new one"
            )
        return None


def verify_and_build(version: str, manifest_bytes: bytes, onnx_bytes: bytes) -> tuple[dict[str, Any], OnnxPredictor]:
    """Check a downloaded version and build its predictor; raises ValueError saying what is wrong."""
    try:
        manifest = json.loads(manifest_bytes)
        expected = str(manifest["artifacts"]["model.onnx"]["sha256"])
        parity = float(manifest["onnx_parity"]["max_abs_diff"])
        policy = manifest["policy"]
        enter, exit_, weight = float(policy["enter"]), float(policy["exit"]), float(policy["weight_when_long"])
        weights = [float(w) for w in (policy.get("weights") or {}).values()]
        parse_as_of(str(manifest["created_at"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"manifest of {version} is unreadable or incomplete: {exc!r}") from exc
    actual = hashlib.sha256(onnx_bytes).hexdigest()
    if actual != expected:
        raise ValueError(f"model.onnx of {version} has sha256 {actual}, the manifest says {expected}")
    if not parity <= PARITY_TOLERANCE:
        raise ValueError(f"ONNX parity of {version} is {parity:.2e} > {PARITY_TOLERANCE:.0e}")
    if not (0 <= exit_ <= enter <= 1 and all(0 <= w <= 1 for w in (weight, *weights))):
        raise ValueError(
            f"policy of {version} is invalid: enter={enter} exit={exit_} weight_when_long={weight} weights={weights}"
        )
    try:
        predictor = OnnxPredictor(onnx_bytes, manifest)
    except Exception as exc:  # onnxruntime raises its own types for a model it cannot load
        raise ValueError(f"model.onnx of {version} does not load: {exc}") from exc
    return manifest, predictor


class ModelCache:
    def __init__(self, store: ModelStore, check_seconds: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._check_seconds = check_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._current: LiveModel | None = None

    def current(self) -> LiveModel:
        with self._lock:
            now = self._monotonic()
            cached = self._current
            if cached is not None and now - cached.checked_at < self._check_seconds:
                return cached
            try:
                pointer = self._store.live(if_none_match=cached.etag if cached else None)
            except StoreError as exc:
                # Cannot tell what is live: do not trade on a possibly superseded model.
                return LiveModel(cached.version if cached else None, None, None, None, f"{exc}", now)
            if pointer is False and cached is not None:
                if cached.usable or cached.version is None:
                    self._current = replace(cached, checked_at=now)
                    return self._current
                pointer = LivePointer(cached.version, str(cached.etag))  # retry a version that failed
            self._current = self._load(pointer if isinstance(pointer, LivePointer) else None, now)
            return self._current

    def _load(self, pointer: LivePointer | None, now: float) -> LiveModel:
        name = self._store.model_name
        if pointer is None:
            return LiveModel(None, None, None, None, f"no live model: {latest_key(name)} does not exist", now)
        if not pointer.version:
            return LiveModel(None, pointer.etag, None, None, f"{latest_key(name)} names no version", now)
        version = pointer.version
        try:
            manifest_bytes = self._store.read(version, "manifest.json")
            onnx_bytes = self._store.read(version, "model.onnx")
            manifest, predictor = verify_and_build(version, manifest_bytes, onnx_bytes)
        except (StoreError, ValueError) as exc:
            logger.error("live model refused", extra={"model_version": version, "error": str(exc)})
            return LiveModel(version, pointer.etag, None, None, str(exc), now)
        logger.info("live model loaded", extra={"model_version": version})
        return LiveModel(version, pointer.etag, manifest, predictor, None, now)
