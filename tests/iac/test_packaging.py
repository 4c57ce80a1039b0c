"""scripts/package_lambdas.py: deterministic zips, the layout Lambda expects, size budgets."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest
from iac_support import REPO, loud_skip

from tests.utils import loud

pytestmark = pytest.mark.iac

SCRIPT = REPO / "scripts" / "package_lambdas.py"
ZIPS = ["order", "portfolio", "signal", "marketdata", "layer-common", "layer-signal", "layer-marketdata", "layer-order"]
LAYERS = {
    "order": ["layer-common", "layer-order"],
    "portfolio": ["layer-common"],
    "signal": ["layer-common", "layer-signal"],
    "marketdata": ["layer-common", "layer-marketdata"],
}


def _load():
    spec = importlib.util.spec_from_file_location("package_lambdas", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses looks the defining module up in sys.modules while building the classes.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def code_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    a, b = tmp_path_factory.mktemp("pkg-a"), tmp_path_factory.mktemp("pkg-b")
    for out in (a, b):
        proc = subprocess.run(
            [sys.executable, str(SCRIPT), "--no-deps", "--out", str(out)], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr
        assert "budget MB" in proc.stdout
    return a, b


def test_same_inputs_give_the_same_sha256(code_only: tuple[Path, Path]) -> None:
    a, b = code_only
    for name in ZIPS:
        assert _sha(a / f"{name}.zip") == _sha(b / f"{name}.zip"), name


def test_zip_entries_are_sorted_with_fixed_timestamps(code_only: tuple[Path, Path]) -> None:
    for name in ZIPS:
        with zipfile.ZipFile(code_only[0] / f"{name}.zip") as zf:
            infos = zf.infolist()
            assert [i.filename for i in infos] == sorted(i.filename for i in infos)
            assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
            assert not any("__pycache__" in i.filename or i.filename.endswith(".pyc") for i in infos)


def test_layout_matches_the_handlers(code_only: tuple[Path, Path]) -> None:
    out = code_only[0]
    for svc in ("order", "portfolio", "signal", "marketdata"):
        pkg = REPO / "services" / svc / f"{svc}_service"
        if (pkg / "main.py").exists():
            with zipfile.ZipFile(out / f"{svc}.zip") as zf:
                assert f"{svc}_service/main.py" in zf.namelist()  # handler <pkg>.main.lambda_handler
    with zipfile.ZipFile(out / "layer-common.zip") as zf:
        names = zf.namelist()
        assert names and all(n.startswith("python/") for n in names)
        assert "python/tradeloop_common/__init__.py" in names


def test_exceeding_a_budget_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = _load()
    monkeypatch.setattr(module, "BUDGETS_MB", {"order": 0, "portfolio": 50, "signal": 200})
    if not any((REPO / "services" / "order" / "order_service").glob("*.py")):
        loud_skip("services/order/order_service is empty: nothing to weigh against the budget")
    assert module.main(["--no-deps", "--out", str(tmp_path)]) == 1


def _index_reachable(timeout: float = 5.0) -> bool:
    """Whether pip's index answers (honours PIP_INDEX_URL and the usual proxy variables)."""
    url = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/pip/"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def full_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The real packages, dependencies included (about 45 MB of manylinux wheels from PyPI;
    measured 19 s cold, 10 s warm), cached in build/lambda/.deps. TRADELOOP_IAC_PACKAGE=0 opts out."""
    if os.environ.get("TRADELOOP_IAC_PACKAGE") == "0":
        loud_skip("full Lambda packaging switched off by TRADELOOP_IAC_PACKAGE=0")
    if not _index_reachable():
        loud_skip("full Lambda packaging needs PyPI and the package index does not answer")
    out = tmp_path_factory.mktemp("lambda")
    cache = REPO / "build" / "lambda" / ".deps"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--cache", str(cache), "--check-import"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    loud(proc.stdout)
    return out, proc


@pytest.mark.slow
def test_full_packages_fit_the_budgets(full_package: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    # Given the services and their requirements / When they are packaged for the Lambda platform
    out, proc = full_package
    # Then every function with its layers fits its budget and the layers import on cp311 linux
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "import ok" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["pins"]["signal"]) >= {"numpy", "onnxruntime"}
    assert {"aws-lambda-powertools", "pydantic"} <= set(manifest["pins"]["common"])
    assert not {"numpy", "boto3", "botocore"} & set(manifest["pins"]["common"])
    # The market-data layer: Alpaca's SDK with what it imports (pandas, numpy), nothing the common layer has
    assert {"alpaca-py", "pandas", "numpy", "requests"} <= set(manifest["pins"]["marketdata"])
    assert not {"pydantic", "boto3", "aws-lambda-powertools"} & set(manifest["pins"]["marketdata"])
    # The order layer: alpaca-py and what it needs that the common layer does not ship, no pandas/NumPy
    assert "alpaca-py" in manifest["pins"]["order"]
    assert not {"pandas", "numpy", "pydantic", "boto3"} & set(manifest["pins"]["order"])


@pytest.mark.slow
def test_signal_layer_loads_the_onnx_models_ml_exports(
    full_package: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    # ml/publish.py exports opset 17, which tf2onnx writes as IR version 8: the signal layer's
    # onnxruntime (the newest with a manylinux2014 wheel) must load that.
    onnx = pytest.importorskip("onnx")
    out, proc = full_package
    assert proc.returncode == 0, proc.stdout + proc.stderr
    layer = out / "layer-signal.zip"
    if shutil.which("python3.11") is None:
        loud_skip("no python3.11 to stand in for the Lambda runtime")
    from onnx import TensorProto, helper

    # Given a model as ml/ exports it
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])
    graph = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "model.onnx")
    with zipfile.ZipFile(layer) as zf:
        zf.extractall(tmp_path / "layer")
    # When the layer's onnxruntime runs it / Then it predicts
    code = (
        "import sys; sys.path[:0] = [sys.argv[1]]; import numpy as np, onnxruntime as ort; "
        "s = ort.InferenceSession(sys.argv[2], providers=['CPUExecutionProvider']); "
        "print(ort.__version__, s.run(None, {'x': np.zeros((1, 3), np.float32)})[0].tolist())"
    )
    proc = subprocess.run(
        ["python3.11", "-S", "-c", code, str(tmp_path / "layer" / "python"), str(tmp_path / "model.onnx")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[[0.5, 0.5, 0.5]]" in proc.stdout


def _run_as_lambda(
    out: Path, service: str, code: str, tmp_path: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as the Lambda runtime would: python3.11 with the function zip and its layers
    unpacked on sys.path (passed as argv), plus boto3 (which the runtime provides), nothing else."""
    paths = []
    for name in [service, *LAYERS[service]]:
        with zipfile.ZipFile(out / f"{name}.zip") as zf:
            zf.extractall(tmp_path / name)
        paths.append(str(tmp_path / name / ("python" if name.startswith("layer-") else "")))
    runtime = sorted((REPO / "build" / "lambda" / ".deps").glob("runtime-*"))
    assert runtime, "the packaging import check installs boto3 as the runtime stand-in"
    return subprocess.run(
        ["python3.11", "-S", "-c", code, *paths, str(runtime[-1])],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1", **env},
        cwd=tmp_path,
    )


@pytest.mark.slow
@pytest.mark.parametrize("service", ["order", "portfolio", "signal", "marketdata"])
def test_each_handler_imports_from_its_zip_and_layers(
    full_package: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path, service: str
) -> None:
    # What the Lambda runtime does at a cold start: import <pkg>.main from the function zip and
    # its layers' python/ folders (plus boto3, which the runtime provides), nothing else.
    out, proc = full_package
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if shutil.which("python3.11") is None:
        loud_skip("no python3.11 to stand in for the Lambda runtime")
    if not (REPO / "services" / service / f"{service}_service" / "main.py").exists():
        loud_skip(f"services/{service}/{service}_service/main.py does not exist yet")
    code = f"import sys; sys.path[:0] = sys.argv[1:]; import {service}_service.main as m; print(m.lambda_handler)"
    result = _run_as_lambda(out, service, code, tmp_path, {"POWERTOOLS_SERVICE_NAME": service})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "lambda_handler" in result.stdout


@pytest.mark.slow
def test_the_order_package_trades_with_the_alpaca_fake_without_pandas(
    full_package: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    # The alpaca adapter as the Lambda runtime would run it: the order zip and its two layers (no
    # pandas, no NumPy: sdk.py stands in), boto3 from the runtime, alpaca-py's own client.
    out, proc = full_package
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if shutil.which("python3.11") is None:
        loud_skip("no python3.11 to stand in for the Lambda runtime")
    from tradeloop_local.fake_alpaca import start_fake_alpaca

    fake = start_fake_alpaca()
    try:
        # Given the fake, and the adapter configured as the function would be
        env = {
            "TRADELOOP_BROKER": "alpaca",
            "TRADELOOP_ALPACA_URL": fake.url,
            "APCA_API_KEY_ID": fake.state.key_id,
            "APCA_API_SECRET_KEY": fake.state.secret_key,
        }
        code = (
            "import sys; sys.path[:0] = sys.argv[1:]\n"
            "from datetime import datetime, timezone\n"
            "from order_service.brokers import get_broker\n"
            "from tradeloop_common.models import Order\n"
            "from tradeloop_common.settings import get_settings\n"
            "import importlib.util; assert importlib.util.find_spec('numpy') is None, 'numpy is in the package'\n"
            "now = datetime(2012, 6, 1, 21, tzinfo=timezone.utc)\n"
            "order = Order(order_id='6a3c7d7e-0000-4000-8000-000000000001', client_order_id='signal:x:IBM', "
            "account_id='paper', symbol='IBM', side='BUY', quantity=3, status='PENDING', as_of=now, created_at=now)\n"
            "broker = get_broker(get_settings())\n"
            "print(broker.submit(order).status.value, broker.submit(order).status.value, broker.account().cash)\n"
        )
        # When it submits the same order twice and reads the account
        result = _run_as_lambda(out, "order", code, tmp_path, env)
        # Then it runs from the package alone, and the fake holds one order
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.splitlines()[-1].split() == ["open", "open", "100000"]
        assert [s["status"] for s in fake.state.submissions] == [200, 422]
    finally:
        fake.stop()
