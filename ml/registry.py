"""Model registry on S3: upload versions, move ``models/<name>/LATEST`` with conditional puts.

``LATEST`` is a small JSON document ``{"name", "version", "promoted_at", "action", "history"}``
(``history``: previously live versions, newest first). It is written only after every file
of the version is uploaded and verified, with ``IfMatch=<etag read>`` (or ``IfNoneMatch='*'``
for the first promotion): of two concurrent promotions that read the same LATEST, S3 accepts
exactly one; the other gets 412 and raises :class:`PromotionConflict`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ml.config import storage
from ml.dataset import s3_client
from tradeloop_common.layout import latest_key, model_prefix, pointer_fields, version_prefix
from tradeloop_common.predictor import PARITY_TOLERANCE

HISTORY_LIMIT = 20
# Uploaded in this order: manifest.json last, so a listed manifest means the files exist.
UPLOAD_ORDER = (
    "model.h5",
    "model.onnx",
    "equity.png",
    "drawdown.png",
    "calibration.png",
    "report.html",
    "manifest.json",
)
CONTENT_TYPES = {
    ".h5": "application/x-hdf5",
    ".onnx": "application/octet-stream",
    ".png": "image/png",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
}


class RegistryError(RuntimeError):
    pass


class PromotionRefused(RegistryError):
    """The gate or a verification said no; nothing was written."""


class PromotionConflict(RegistryError):
    """LATEST changed between our read and our conditional write: another promotion won."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _is_conflict(exc: ClientError) -> bool:
    # 412 = the precondition failed; 409 = S3 saw a concurrent conditional write in flight.
    return _code(exc) in ("PreconditionFailed", "ConditionalRequestConflict") or _status(exc) in (409, 412)


class Registry:
    def __init__(self, s3: Any | None = None, bucket: str | None = None, name: str | None = None) -> None:
        st = storage()
        self.s3 = s3 or s3_client()
        self.bucket = bucket or st.models_bucket
        self.name = name or st.model_name

    # ------------------------------------------------------------------------------ reading
    def read_latest(self) -> tuple[dict[str, Any] | None, str | None]:
        """(pointer, etag), or (None, None) before the first promotion."""
        try:
            obj = self.s3.get_object(Bucket=self.bucket, Key=latest_key(self.name))
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return None, None
            raise
        pointer = {"history": [], **pointer_fields(obj["Body"].read().decode())}
        return pointer, obj["ETag"]

    def live_version(self) -> str | None:
        pointer, _ = self.read_latest()
        return pointer["version"] if pointer else None

    def versions(self) -> list[str]:
        prefix = model_prefix(self.name)
        found = set()
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                rest = obj["Key"][len(prefix) :]
                if rest.endswith("/manifest.json"):
                    found.add(rest.split("/", 1)[0])
        return sorted(found)

    def manifest(self, version: str) -> dict[str, Any]:
        try:
            obj = self.s3.get_object(Bucket=self.bucket, Key=version_prefix(self.name, version) + "manifest.json")
        except ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                raise PromotionRefused(f"no such version {self.name}/{version} (no manifest.json)") from exc
            raise
        return json.loads(obj["Body"].read())

    def verify(self, version: str, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
        """Download the model files and check them against the manifest's sha256."""
        manifest = manifest or self.manifest(version)
        for fname in ("model.h5", "model.onnx"):
            expected = manifest["artifacts"][fname]["sha256"]
            try:
                body = self.s3.get_object(Bucket=self.bucket, Key=version_prefix(self.name, version) + fname)
            except ClientError as exc:
                raise PromotionRefused(f"{self.name}/{version}/{fname} is missing") from exc
            actual = hashlib.sha256(body["Body"].read()).hexdigest()
            if actual != expected:
                raise PromotionRefused(f"{self.name}/{version}/{fname}: sha256 {actual} != manifest {expected}")
        parity = float(manifest["onnx_parity"]["max_abs_diff"])
        if not parity <= PARITY_TOLERANCE:
            raise PromotionRefused(f"ONNX parity {parity:.2e} exceeds {PARITY_TOLERANCE:.0e}")
        return manifest

    # ------------------------------------------------------------------------------ writing
    def upload(self, version: str, folder: Path) -> list[str]:
        """Upload a version folder; refuses to overwrite an existing version."""
        prefix = version_prefix(self.name, version)
        if self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0):
            raise RegistryError(f"version {self.name}/{version} already exists; versions are immutable")
        keys = []
        for fname in UPLOAD_ORDER:
            path = folder / fname
            if not path.exists():
                raise RegistryError(f"{path} is missing")
            extra: dict[str, Any] = {}
            if fname == "manifest.json":
                extra["IfNoneMatch"] = "*"  # two publishers of one version: the second fails here
            self.s3.put_object(
                Bucket=self.bucket,
                Key=prefix + fname,
                Body=path.read_bytes(),
                ContentType=CONTENT_TYPES[path.suffix],
                **extra,
            )
            keys.append(prefix + fname)
        return keys

    def _write_latest(self, pointer: dict[str, Any], etag: str | None) -> None:
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=latest_key(self.name),
                Body=json.dumps(pointer, indent=1).encode(),
                ContentType="application/json",
                CacheControl="no-cache",
                **condition,
            )
        except ClientError as exc:
            if _is_conflict(exc):
                raise PromotionConflict(
                    f"{latest_key(self.name)} changed while promoting {pointer['version']}: another promotion "
                    "won; re-read and retry if still wanted"
                ) from exc
            raise

    def promote(
        self,
        version: str,
        force: bool = False,
        before_write: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """Make ``version`` live. Gate: its manifest's ``gate`` must have passed (``ml.gate``), unless ``force``.

        ``before_write`` runs between reading LATEST and the conditional write (tests use it to
        line up concurrent promotions).
        """
        manifest = self.verify(version)
        current, etag = self.read_latest()
        if current and current.get("version") == version:
            return current  # already live: promoting twice is a no-op
        gate = manifest.get("gate", {})
        if not gate.get("passed") and not force:
            raise PromotionRefused(
                f"{self.name}/{version} did not pass the promotion gate "
                f"({'; '.join(gate.get('reasons') or ['no gate verdict in its manifest'])}); use --force to override"
            )
        history = ([current["version"], *current.get("history", [])] if current else [])[:HISTORY_LIMIT]
        pointer = {
            "name": self.name,
            "version": version,
            "promoted_at": _now(),
            "action": "force-promote" if force and not gate.get("passed") else "promote",
            "history": history,
        }
        if before_write:
            before_write()
        self._write_latest(pointer, etag)
        return pointer

    def rollback(self, before_write: Callable[[], None] | None = None) -> dict[str, Any]:
        """Point LATEST back at the previously live version."""
        current, etag = self.read_latest()
        if not current or not current.get("history"):
            raise PromotionRefused(f"nothing to roll back to: {latest_key(self.name)} has no previous version")
        target, *rest = current["history"]
        self.verify(target)
        pointer = {
            "name": self.name,
            "version": target,
            "promoted_at": _now(),
            "action": "rollback",
            "rolled_back_from": current["version"],
            "history": rest,
        }
        if before_write:
            before_write()
        self._write_latest(pointer, etag)
        return pointer


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
