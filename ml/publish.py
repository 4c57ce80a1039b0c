"""model.h5 -> model.onnx (checked for parity) -> manifest.json + report -> S3 version folder."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ml.config import REPO_ROOT
from ml.registry import PARITY_TOLERANCE

OPSET = 17
INPUT_NAME = "features"


class ParityError(RuntimeError):
    """ONNX and Keras disagree beyond tolerance: the ONNX file must not be served."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_keras(h5: Path) -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras.models.load_model(h5, compile=False)


def export_onnx(h5: Path, onnx_path: Path) -> Any:
    """Convert the model of record (read back from the .h5, not the in-memory model) to ONNX."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import tf2onnx

    model = load_keras(h5)
    shape = (None, *model.input_shape[1:])
    spec = (tf.TensorSpec(shape, tf.float32, name=INPUT_NAME),)
    # tf2onnx.convert.from_keras does not understand Keras 3 models; a traced tf.function does.
    fn = tf.function(lambda x: model(x, training=False), input_signature=spec)
    tf2onnx.convert.from_function(fn, input_signature=spec, opset=OPSET, output_path=str(onnx_path))
    return model


def onnx_parity(model: Any, onnx_path: Path, batch: np.ndarray) -> float:
    """Max |onnx - keras| over ``batch`` (already scaled model inputs)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: batch.astype(np.float32)})[0].reshape(-1)
    want = np.asarray(model.predict(batch, batch_size=2048, verbose=0)).reshape(-1)
    return float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) if len(batch) else 0.0


def convert_and_check(
    h5: Path, onnx_path: Path, batch: np.ndarray, tolerance: float = PARITY_TOLERANCE
) -> dict[str, Any]:
    model = export_onnx(h5, onnx_path)
    diff = onnx_parity(model, onnx_path, batch)
    if not diff <= tolerance:
        onnx_path.unlink(missing_ok=True)
        raise ParityError(f"ONNX vs Keras max abs diff {diff:.3e} > {tolerance:.0e}: refusing to publish")
    return {
        "max_abs_diff": diff,
        "tolerance": tolerance,
        "rows": int(len(batch)),
        "opset": OPSET,
        "input_name": INPUT_NAME,
    }


def code_version() -> str:
    if os.environ.get("TRADELOOP_CODE_VERSION"):
        return os.environ["TRADELOOP_CODE_VERSION"]
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "ml", "services/common"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("numpy", "tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "scikit-learn"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def new_version(h5_sha256: str, now: datetime | None = None) -> str:
    """Sortable and content-addressed: ``20260101T120000Z-1a2b3c4d``."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{h5_sha256[:8]}"


def write_json(path: Path, data: Any) -> Path:
    # allow_nan=False: NaN is not JSON; other readers (Lambda, dashboard) would choke on it.
    path.write_text(json.dumps(_clean(data), indent=1, allow_nan=False, default=_json_default))
    return path


def _clean(o: Any) -> Any:
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    if isinstance(o, float | np.floating):
        return float(o) if np.isfinite(o) else None
    return o


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")
