#!/usr/bin/env python3
"""Build the Lambda deployment packages, deterministically.

Outputs (default ``build/lambda/``), the file names Terraform reads:

* ``order.zip``, ``portfolio.zip``, ``signal.zip``, ``marketdata.zip``: the service package
  (``services/<name>/<name>_service``) at the zip root; handler ``<pkg>.main.lambda_handler``.
* ``layer-common.zip``: ``services/common/tradeloop_common`` plus the runtime dependencies of
  ``services/common/requirements.txt`` under ``python/``, except NumPy.
* ``layer-signal.zip``: the signal service's numeric runtime under ``python/``: NumPy plus
  ``services/signal/requirements.txt`` (by default onnxruntime). NumPy alone is about 65 MB
  unzipped (OpenBLAS), which would break the 50 MB budget of order and portfolio, and only
  ``tradeloop_common.features`` (signal's path) imports it.
* ``layer-marketdata.zip``: ``services/marketdata/requirements.txt`` (alpaca-py, which imports
  pandas and NumPy at import time, and requests) under ``python/``.
* ``layer-order.zip``: the order service's runtime under ``python/``:
  ``services/order/requirements.txt`` (alpaca-py, for the alpaca broker) less what the common
  layer ships, and less pandas and NumPy (ORDER_LAYER_EXCLUDE).

Dependencies are installed for the Lambda platform, not this machine's:
``pip install --platform manylinux2014_x86_64 --only-binary=:all: --python-version 3.11``
(the python3.11 runtime runs on Amazon Linux 2, glibc 2.26, so manylinux2014 wheels only).
Packages the Lambda runtime already has (boto3 and its dependencies) are never shipped: pip
resolves first (``--dry-run --report``), then the resolved set minus those is installed with
``--no-deps``.

Determinism: entries are sorted, every timestamp is 1980-01-01, permissions are normalised,
no ``__pycache__``/``.pyc`` (pip runs with ``--no-compile``), so the same inputs give the
same sha256 and ``terraform plan`` shows no change.

Budgets (unzipped, function + its layers): signal and marketdata <= 200 MB, order and portfolio
<= 50 MB (Lambda's own limit is 250 MB).
The script prints a size table and exits 1 when a budget is exceeded.

Usage: python scripts/package_lambdas.py [--out DIR] [--no-deps] [--check-import]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "services"

PLATFORM_ARGS = [
    "--platform",
    "manylinux2014_x86_64",
    "--only-binary=:all:",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
]

# In the python3.11 Lambda runtime already: never shipped.
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}

# Pins that keep the layers loadable on Lambda. onnxruntime 1.16.3 is the last release with a
# manylinux2014 (glibc 2.17) wheel, and it was built against NumPy 1.x, so NumPy stays < 2 in
# the shared layer. Models must be exported for it (ONNX opset <= 19, IR version <= 9).
CONSTRAINTS = ["numpy==1.26.4", "onnxruntime==1.16.3"]
LAMBDA_PINS = dict(c.split("==", 1) for c in CONSTRAINTS)

# Moved from the shared layer to the signal layer (see the module docstring).
SIGNAL_ONLY = {"numpy"}

# onnxruntime's declared dependencies serve its tools (symbolic shape inference, quantisation,
# ORT-format conversion), not InferenceSession.
SIGNAL_LAYER_EXCLUDE = {"sympy", "mpmath", "coloredlogs", "humanfriendly", "protobuf", "flatbuffers"}

# alpaca-py declares pandas (and with it NumPy: about 110 MB unzipped) for its market-data models;
# the trading client the order service uses needs neither, and order_service/brokers/sdk.py stands
# in for the one module-level `import pandas` of alpaca.trading.
ORDER_LAYER_EXCLUDE = {"pandas", "numpy"}

MB = 1024 * 1024
BUDGETS_MB = {"order": 50, "portfolio": 50, "signal": 200, "marketdata": 200}
SERVICE_NAMES = ("order", "portfolio", "signal", "marketdata")
LAYERS_OF = {
    "order": ["layer-common", "layer-order"],
    "portfolio": ["layer-common"],
    "signal": ["layer-common", "layer-signal"],
    "marketdata": ["layer-common", "layer-marketdata"],
}
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", "bin"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


@dataclass
class Artifact:
    name: str
    path: Path
    unzipped: int = 0
    zipped: int = 0
    sha256: str = ""
    files: int = 0


@dataclass
class Layer:
    name: str
    requirements: list[str]
    package_dir: Path | None = None
    exclude: set[str] = field(default_factory=set)
    ships_runtime: bool = False  # True only for the import check's stand-in of the Lambda runtime


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def iter_files(base: Path) -> list[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info"))
        for fname in filenames:
            p = Path(dirpath) / fname
            if p.suffix in SKIP_SUFFIXES or p.is_symlink():
                continue
            out.append(p)
    return out


def write_zip(dest: Path, entries: list[tuple[str, Path]]) -> Artifact:
    """Write entries (arcname, source) sorted, with fixed dates and normalised modes."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".zip.tmp")
    unzipped = 0
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for arcname, src in sorted(entries, key=lambda e: e[0]):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE)
            mode = 0o755 if os.stat(src).st_mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.create_system = 3  # Unix, whatever the build host
            info.compress_type = zipfile.ZIP_DEFLATED
            data = src.read_bytes()
            unzipped += len(data)
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    tmp.replace(dest)
    digest = hashlib.sha256(dest.read_bytes()).hexdigest()
    return Artifact(dest.stem, dest, unzipped, dest.stat().st_size, digest, len(entries))


def read_requirements(path: Path) -> list[str]:
    """The requirement lines of ``services/<name>/requirements.txt`` (every service has one)."""
    reqs = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            reqs.append(line)
    return reqs


def split_name(requirement: str) -> str:
    """The distribution name of a requirement line ("pkg[extra]>=1" -> "pkg")."""
    for sep in "[<>=!~; ":
        requirement = requirement.split(sep, 1)[0]
    return requirement


def lambda_requirements(requirements: list[str], source: Path, overrides: dict[str, str]) -> list[str]:
    """Replace a requirement by its Lambda pin (LAMBDA_PINS); warn when the pin is outside its range.

    A service's requirements file also serves the development venv, where newer wheels load
    (e.g. onnxruntime>=1.18 is manylinux_2_28 only); in the python3.11 runtime only the pin does."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pip always vendors it
        from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]

    out = []
    for line in requirements:
        req = Requirement(line)
        pin = LAMBDA_PINS.get(canonical(req.name))
        if pin is None:
            out.append(line)
            continue
        if not req.specifier.contains(pin, prereleases=True):
            overrides[canonical(req.name)] = f"{line} ({source.relative_to(ROOT)}) -> =={pin}"
            print(
                f"warning: {source.relative_to(ROOT)} asks for {line}; the python3.11 Lambda runtime (Amazon Linux 2, "
                f"glibc 2.26) loads manylinux2014 wheels only, newest {req.name}=={pin}: packaging that",
                file=sys.stderr,
            )
        out.append(f"{req.name}=={pin}")
    return out


def pip(args: list[str], python: str) -> None:
    cmd = [python, "-m", "pip", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        noise = "is ignored: it is neither a file nor a directory"
        err = "\n".join(line for line in proc.stderr.splitlines() if noise not in line)
        raise SystemExit(f"pip failed ({' '.join(cmd)}):\n{err}\n{proc.stdout}")


def resolve(requirements: list[str], python: str, workdir: Path) -> dict[str, str]:
    """Resolve requirements for the Lambda platform; return {canonical name: version}."""
    report = workdir / "report.json"
    constraints = workdir / "constraints.txt"
    constraints.write_text("\n".join(CONSTRAINTS) + "\n")
    pip(
        [
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(report),
            "--target",
            str(workdir / "dry"),
            "-c",
            str(constraints),
            *PLATFORM_ARGS,
            *requirements,
        ],
        python,
    )
    data = json.loads(report.read_text())
    return {canonical(i["metadata"]["name"]): i["metadata"]["version"] for i in data["install"]}


def install_layer_deps(layer: Layer, python: str, cache: Path, provided: set[str]) -> tuple[Path, dict[str, str]]:
    """Install a layer's dependencies into a cached target directory; return it and the pins."""
    requirements = layer.requirements
    if not requirements:
        empty = cache / f"{layer.name}-empty"
        empty.mkdir(parents=True, exist_ok=True)
        return empty, {}
    with tempfile.TemporaryDirectory(prefix=f"resolve-{layer.name}-") as tmp:
        resolved = resolve(requirements, python, Path(tmp))
    skip = {canonical(n) for n in layer.exclude} | provided | (set() if layer.ships_runtime else RUNTIME_PROVIDED)
    pins = {n: v for n, v in sorted(resolved.items()) if n not in skip}
    key = hashlib.sha256(json.dumps([pins, PLATFORM_ARGS]).encode()).hexdigest()[:16]
    target = cache / f"{layer.name}-{key}"
    stamp = target / ".complete"
    if not stamp.exists():
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        pip(
            [
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-compile",
                "--target",
                str(target),
                *PLATFORM_ARGS,
                *[f"{n}=={v}" for n, v in pins.items()],
            ],
            python,
        )
        stamp.write_text(json.dumps(pins, indent=1))
    return target, pins


def layer_entries(deps_dir: Path, package_dir: Path | None) -> list[tuple[str, Path]]:
    entries = [
        (f"python/{p.relative_to(deps_dir).as_posix()}", p) for p in iter_files(deps_dir) if p.name != ".complete"
    ]
    if package_dir is not None:
        entries += [
            (f"python/{package_dir.name}/{p.relative_to(package_dir).as_posix()}", p) for p in iter_files(package_dir)
        ]
    # Strip the test suites bundled in wheels (numpy ships ~10 MB of them).
    return [(a, p) for a, p in entries if "/tests/" not in a]


def function_entries(package_dir: Path) -> list[tuple[str, Path]]:
    if not package_dir.is_dir():
        raise SystemExit(f"{package_dir.relative_to(ROOT)} is missing: nothing to package for that function")
    return [(f"{package_dir.name}/{p.relative_to(package_dir).as_posix()}", p) for p in iter_files(package_dir)]


def check_import(layer_dirs: list[Path], modules: list[str]) -> None:
    """Import the layer contents with this interpreter (same platform: linux x86_64, cp311)."""
    code = (
        "import sys; sys.path[:0] = sys.argv[1].split(':'); "
        + "; ".join(f"import {m}" for m in modules)
        + "; print('import ok: ' + ', '.join(sys.argv[2:]))"
    )
    py = "python3.11" if shutil.which("python3.11") else sys.executable
    proc = subprocess.run(
        [py, "-S", "-c", code, ":".join(str(d) for d in layer_dirs), *modules], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"layer import check failed:\n{proc.stderr}")
    print(proc.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "lambda", help="output directory")
    parser.add_argument("--cache", type=Path, default=None, help="pip target cache (default: <out>/.deps)")
    parser.add_argument("--python", default=sys.executable, help="interpreter whose pip downloads the wheels")
    parser.add_argument(
        "--no-deps", action="store_true", help="skip third-party dependencies (fast: code only, for tests)"
    )
    parser.add_argument("--check-import", action="store_true", help="import the built layers as a smoke test")
    args = parser.parse_args(argv)

    out: Path = args.out
    cache: Path = args.cache or out / ".deps"
    out.mkdir(parents=True, exist_ok=True)

    overrides: dict[str, str] = {}
    common_file, signal_file = SERVICES / "common" / "requirements.txt", SERVICES / "signal" / "requirements.txt"
    common_reqs = lambda_requirements(read_requirements(common_file), common_file, overrides)
    moved = [r for r in common_reqs if canonical(split_name(r)) in SIGNAL_ONLY]
    signal_reqs = lambda_requirements(read_requirements(signal_file), signal_file, overrides)
    # numpy may be listed by both files: one line per distribution.
    signal_reqs = [r for r in signal_reqs if r not in moved]
    common = Layer(
        "common",
        [r for r in common_reqs if r not in moved],
        SERVICES / "common" / "tradeloop_common",
        exclude=SIGNAL_ONLY,
    )
    signal = Layer("signal", [*moved, *signal_reqs], exclude=SIGNAL_LAYER_EXCLUDE)
    marketdata_file = SERVICES / "marketdata" / "requirements.txt"
    marketdata_reqs = lambda_requirements(read_requirements(marketdata_file), marketdata_file, overrides)
    marketdata = Layer("marketdata", marketdata_reqs)
    order_file = SERVICES / "order" / "requirements.txt"
    order = Layer(
        "order", lambda_requirements(read_requirements(order_file), order_file, overrides), exclude=ORDER_LAYER_EXCLUDE
    )

    artifacts: dict[str, Artifact] = {}
    pins: dict[str, dict[str, str]] = {}
    deps_dirs: dict[str, Path] = {}
    empty = cache / "empty"
    empty.mkdir(parents=True, exist_ok=True)
    for layer in (common, signal, marketdata, order):
        if args.no_deps:
            deps_dir, layer_pins = empty, {}
        else:
            # A service layer ships what the common layer (beside it in every function) does not.
            provided = set(pins.get("common", {})) if layer is not common else set()
            deps_dir, layer_pins = install_layer_deps(layer, args.python, cache, provided)
            deps_dirs[layer.name] = deps_dir
        pins[layer.name] = layer_pins
        artifacts[f"layer-{layer.name}"] = write_zip(
            out / f"layer-{layer.name}.zip", layer_entries(deps_dir, layer.package_dir)
        )

    for svc in SERVICE_NAMES:
        pkg = SERVICES / svc / f"{svc}_service"
        artifacts[svc] = write_zip(out / f"{svc}.zip", function_entries(pkg))

    print(f"{'artifact':<16}{'files':>7}{'zipped MB':>11}{'unzipped MB':>13}  sha256")
    for a in artifacts.values():
        print(f"{a.name:<16}{a.files:>7}{a.zipped / MB:>11.2f}{a.unzipped / MB:>13.2f}  {a.sha256[:16]}")
    print()
    print(f"{'function':<16}{'with layers MB':>15}{'budget MB':>11}  result")
    failed = False
    for svc, budget in BUDGETS_MB.items():
        total = artifacts[svc].unzipped + sum(artifacts[layer].unzipped for layer in LAYERS_OF[svc])
        ok = total <= budget * MB
        failed |= not ok
        print(f"{svc:<16}{total / MB:>15.2f}{budget:>11}  {'ok' if ok else 'OVER BUDGET'}")

    manifest = {
        "artifacts": {
            n: {"sha256": a.sha256, "zipped": a.zipped, "unzipped": a.unzipped, "files": a.files}
            for n, a in artifacts.items()
        },
        "pins": pins,
        "overrides": overrides,
        "platform": PLATFORM_ARGS,
        "no_deps": args.no_deps,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")

    if args.check_import and not args.no_deps:
        # What the Lambda runtime provides (boto3 and its dependencies), for the import check only.
        runtime, _ = install_layer_deps(Layer("runtime", ["boto3"], ships_runtime=True), args.python, cache, set())
        modules = ["tradeloop_common", "aws_lambda_powertools", "aws_lambda_powertools.tracing", "pydantic"]
        common_dirs = [deps_dirs["common"], SERVICES / "common", runtime]
        check_import([deps_dirs["signal"], *common_dirs], [*modules, "numpy", "onnxruntime"])
        check_import([deps_dirs["marketdata"], *common_dirs], [*modules, "alpaca.data.historical"])
        # The order function's own layers only: alpaca-py's trading client without pandas.
        check_import([deps_dirs["order"], SERVICES / "order", *common_dirs], ["order_service.brokers.alpaca"])

    if failed:
        print("package_lambdas: a size budget is exceeded", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
