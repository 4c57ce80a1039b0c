"""`make bench`: tradeloop's performance figures, each beside the alternative it replaces.

    python scripts/bench.py [--quick] [--only backtest,features,...] [--json docs/benchmarks.json]

- backtest: our vectorized long/flat backtest vs vectorbt's Portfolio.from_signals, same
  signals, prices and costs (final equity must agree to 1e-9, else the figure is void);
- features: the signal Lambda's numpy feature code on the bars one signal run reads, vs the
  same features computed with pandas rolling windows (what the Lambda avoids shipping);
- inference: cold start (new process: import the runtime, load the model, one prediction) and
  warm latency of one prediction, onnxruntime on model.onnx vs TensorFlow/Keras on model.h5;
- signal, rebalance, orders, packages (scripts/bench_scale.py): the signal step over 4 / 50 / 500
  generated symbols at 10 and 30 years beside the per-symbol path, the daily rebalance of 500
  symbols end to end, POST /orders at 1 / 8 / 32 clients through the router with where an
  order's time goes, AWS requests priced (docs/prices.json), the Lambda packages' sizes.

Timings are medians of repeats on this machine; tests assert correctness, never these numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_scale  # scripts/ is this script's folder, so on sys.path
import numpy as np

REPO = Path(__file__).resolve().parents[1]
Row = tuple[str, str, str, str]  # what, ours, alternative, note


def _progress(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f} ms" if seconds < 10 else f"{seconds:,.1f} s"


# ------------------------------------------------------------------------------------ backtest


def bench_backtest(quick: bool) -> tuple[list[Row], dict[str, float]]:
    from ml.backtest import backtest
    from ml.config import Costs
    from ml.dataset import sample_bars
    from ml.oracle import vectorbt_equity

    costs = Costs()
    bars = [sample_bars(s) for s in ("AAPL", "GOOG", "IBM", "MSFT")]
    rng = np.random.default_rng(7)
    signals = [(rng.random(len(b)) > 0.5).astype(float) for b in bars]
    repeats = 3 if quick else 20

    def ours() -> list[float]:
        return [backtest(b.open, b.close, s, costs, 10_000.0).final_equity for b, s in zip(bars, signals, strict=True)]

    def theirs() -> list[float]:
        return [float(vectorbt_equity(b, s, costs, 10_000.0)[-1]) for b, s in zip(bars, signals, strict=True)]

    _progress("backtest: vectorbt first call (numba compile)")
    t0 = time.perf_counter()
    theirs_first = theirs()
    vbt_cold = time.perf_counter() - t0
    ours_eq, theirs_eq = ours(), theirs_first
    worst = max(abs(a / b - 1) for a, b in zip(ours_eq, theirs_eq, strict=True))
    if worst > 1e-9:
        raise SystemExit(f"backtest disagrees with vectorbt by {worst:.2e} relative: figures void")
    _progress(f"backtest: {repeats} repeats each")
    t_ours = _median_seconds(ours, repeats)
    t_vbt = _median_seconds(theirs, repeats)
    n = sum(len(b) for b in bars)
    rows = [
        (f"backtest, 4 symbols x {n // 4:,} days", _ms(t_ours), _ms(t_vbt), f"vectorbt x{t_vbt / t_ours:,.0f} slower"),
        ("  vectorbt first call (numba JIT)", "-", _ms(vbt_cold), "paid once per process"),
        ("  final equity, max relative diff", f"{worst:.1e}", "", "must be <= 1e-9"),
    ]
    figures = {"backtest_ours_s": t_ours, "backtest_vectorbt_s": t_vbt, "backtest_max_rel_diff": worst}
    big_rows, big = _backtest_million(quick, costs)
    return rows + big_rows, {**figures, **big}


def _backtest_million(quick: bool, costs: Any) -> tuple[list[Row], dict[str, float]]:
    """About a million bars: 400 generated symbols x 10 years, each backtested alone (the same
    loop for both; vectorbt's per-call overhead is part of what a user of it pays)."""
    from ml.backtest import backtest
    from ml.dataset import parse_bars_csv
    from ml.oracle import vectorbt_equity
    from tradeloop_local.synthetic import UniverseSpec, generate

    spec = UniverseSpec(40 if quick else 400, 10, 7)
    _progress(f"backtest: generating {spec.symbols} symbols x 10 years")
    bars = [parse_bars_csv(text, f"{s}.csv", s, adjust=False) for s, text in generate(spec)]
    rng = np.random.default_rng(11)
    signals = [(rng.random(len(b)) > 0.5).astype(float) for b in bars]
    n = sum(len(b) for b in bars)
    _progress(f"backtest: {n:,} bars, ours then vectorbt")
    t0 = time.perf_counter()
    ours = [backtest(b.open, b.close, s, costs, 10_000.0).final_equity for b, s in zip(bars, signals, strict=True)]
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = [float(vectorbt_equity(b, s, costs, 10_000.0)[-1]) for b, s in zip(bars, signals, strict=True)]
    t_vbt = time.perf_counter() - t0
    worst = max(abs(a / b - 1) for a, b in zip(ours, theirs, strict=True))
    if worst > 1e-9:
        raise SystemExit(f"backtest disagrees with vectorbt by {worst:.2e} relative on {n:,} bars: figures void")
    rows = [
        (
            f"backtest, {spec.symbols} symbols, {n:,} bars",
            _ms(t_ours),
            _ms(t_vbt),
            f"vectorbt x{t_vbt / t_ours:,.1f} slower; max rel diff {worst:.0e}",
        )
    ]
    return rows, {"backtest_1m_bars": n, "backtest_1m_ours_s": t_ours, "backtest_1m_vectorbt_s": t_vbt}


# ------------------------------------------------------------------------------------ features


def _pandas_features(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The same quantities with pandas (the alternative the Lambda layer avoids)."""
    import pandas as pd

    close, logc = pd.Series(c), np.log(pd.Series(c))
    r1 = logc.diff()
    cols = [logc - logc.shift(k) for k in (1, 5, 10, 20)]
    cols += [r1.rolling(w).std() for w in (10, 20)]
    diff = close.diff()
    gain, loss = diff.clip(lower=0).rolling(14).mean(), (-diff).clip(lower=0).rolling(14).mean()
    cols.append(gain / (gain + loss) - 0.5)
    macd = (close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()) / close
    sig = macd.ewm(span=9, adjust=False).mean()
    cols += [macd, sig, macd - sig]
    cols += [close / close.rolling(w).mean() - 1 for w in (10, 50)]
    lv = np.log1p(pd.Series(v))
    cols.append((lv - lv.rolling(20).mean()) / lv.rolling(20).std())
    cols.append(np.log(pd.Series(o)) - logc.shift(1))
    cols.append((pd.Series(h) - pd.Series(lo)) / close)
    return pd.concat(cols, axis=1).to_numpy()


def bench_features(quick: bool) -> tuple[list[Row], dict[str, float]]:
    from ml.dataset import sample_bars
    from tradeloop_common.features import LOOKBACK, compute_features

    b = sample_bars("AAPL")
    n = max(LOOKBACK * 2, 300)
    args = (b.open[-n:], b.high[-n:], b.low[-n:], b.close[-n:], b.volume[-n:])
    repeats = 20 if quick else 300
    _progress(f"features: {repeats} repeats on {n} bars")
    t_np = _median_seconds(lambda: compute_features(*args), repeats)
    t_pd = _median_seconds(lambda: _pandas_features(*args), repeats)
    t_import = _import_seconds("import pandas")
    rows = [
        (f"features, one symbol, last {n} bars", _ms(t_np), _ms(t_pd), "pandas rolling/ewm equivalent"),
        ("  import cost in a cold Lambda", "numpy only", _ms(t_import), "import pandas"),
    ]
    return rows, {"features_numpy_s": t_np, "features_pandas_s": t_pd, "import_pandas_s": t_import}


def _import_seconds(statement: str) -> float:
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------- inference

_COLD_ONNX = """
import time, sys; t0 = time.perf_counter()
import numpy as np, onnxruntime as ort
s = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
s.run(None, {s.get_inputs()[0].name: np.zeros((1, int(sys.argv[2])), np.float32)})
print(time.perf_counter() - t0)
"""
_COLD_KERAS = """
import os, time, sys; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"; t0 = time.perf_counter()
import numpy as np, keras
m = keras.models.load_model(sys.argv[1], compile=False)
m(np.zeros((1, int(sys.argv[2])), np.float32), training=False)
print(time.perf_counter() - t0)
"""


def _model_files(workdir: Path) -> tuple[Path, Path, int]:
    """The last trained model of record if there is one, else a freshly built MLP of the same shape."""
    runs = sorted((REPO / ".tradeloop" / "ml" / "runs").glob("run-*/model.onnx"))
    if runs:
        manifest = json.loads((runs[-1].parent / "manifest.json").read_text())
        if manifest.get("model", {}).get("kind") == "mlp":
            return runs[-1].parent / "model.h5", runs[-1], len(manifest["features"]["names"])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from ml.modeling.train import build_keras
    from ml.publish import export_onnx
    from tradeloop_common.features import FEATURE_NAMES

    k = len(FEATURE_NAMES)
    model = build_keras("mlp", k, 1, 1e-3)
    h5, onnx_path = workdir / "model.h5", workdir / "model.onnx"
    model.save(h5)
    export_onnx(h5, onnx_path)
    return h5, onnx_path, k


def bench_inference(quick: bool) -> tuple[list[Row], dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        _progress("inference: preparing model.h5 and model.onnx")
        h5, onnx_path, k = _model_files(Path(tmp))
        cold_repeats = 1 if quick else 3
        _progress(f"inference: cold starts x{cold_repeats} per runtime (new processes)")
        cold = {}
        for name, code, path in (("onnx", _COLD_ONNX, onnx_path), ("keras", _COLD_KERAS, h5)):
            runs = []
            for _ in range(cold_repeats):
                out = subprocess.run(
                    [sys.executable, "-c", code, str(path), str(k)], capture_output=True, text=True, check=True
                )
                runs.append(float(out.stdout.strip().splitlines()[-1]))
            cold[name] = statistics.median(runs)

        import keras
        import onnxruntime as ort

        x = np.random.default_rng(0).standard_normal((1, k)).astype(np.float32)
        sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        model = keras.models.load_model(h5, compile=False)
        p_onnx = float(sess.run(None, {name: x})[0].ravel()[0])
        p_keras = float(np.asarray(model(x, training=False)).ravel()[0])
        repeats = 50 if quick else 500
        _progress(f"inference: warm single-row prediction x{repeats}")
        t_onnx = _median_seconds(lambda: sess.run(None, {name: x}), repeats)
        t_keras = _median_seconds(lambda: model(x, training=False), repeats)
        sizes = (onnx_path.stat().st_size, h5.stat().st_size)
    rows = [
        ("inference cold start (import+load+1 row)", _ms(cold["onnx"]), _ms(cold["keras"]), "onnxruntime vs TF/Keras"),
        ("inference warm, 1 row", _ms(t_onnx), _ms(t_keras), f"|p_onnx - p_keras| = {abs(p_onnx - p_keras):.1e}"),
        ("model file", f"{sizes[0] / 1e3:,.1f} KB", f"{sizes[1] / 1e3:,.1f} KB", "model.onnx vs model.h5"),
    ]
    return rows, {
        "cold_onnx_s": cold["onnx"],
        "cold_keras_s": cold["keras"],
        "warm_onnx_s": t_onnx,
        "warm_keras_s": t_keras,
        "onnx_keras_abs_diff": abs(p_onnx - p_keras),
    }


SECTIONS: dict[str, Callable[[bool], tuple[list[Row], dict[str, Any]]]] = {
    "backtest": bench_backtest,
    "features": bench_features,
    "inference": bench_inference,
    "signal": bench_scale.bench_signal,
    "rebalance": bench_scale.bench_rebalance,
    "orders": bench_scale.bench_orders,
    "packages": bench_scale.bench_packages,
}


def machine() -> dict[str, Any]:
    """Where and when the figures were taken: they only compare within one run."""
    import platform

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=REPO).stdout
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit.strip() + (" (with uncommitted changes)" if dirty.strip() else ""),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "load_average_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke run)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--json", type=Path, help="also write the raw figures (seconds) here")
    parser.add_argument(
        "--update", action="store_true", help="with --json: replace the figures of the sections run, keep the others"
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")

    rows: list[Row] = []
    figures: dict[str, Any] = {"meta": machine()}
    for i, name in enumerate(chosen, 1):
        _progress(f"({i}/{len(chosen)}) {name}  (load average {os.getloadavg()[0]:.1f})")
        t0 = time.perf_counter()
        r, f = SECTIONS[name](args.quick)
        rows += r
        figures.update(f)
        figures["meta"][f"section_{name}_s"] = round(time.perf_counter() - t0, 1)
    if "rebalance" in chosen:
        r, f = bench_scale.cost_table(figures)
        rows += r
        figures.update(f)
    figures["meta"]["load_average_end"] = os.getloadavg()

    header = ("what", "tradeloop", "alternative", "note")
    widths = [max(len(str(x[i])) for x in [header, *rows]) for i in range(4)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    if args.json:
        if args.update and args.json.exists():  # a section run again: the rest, and when they ran, kept
            kept = json.loads(args.json.read_text())
            reruns = [*kept["meta"].get("reruns", []), {"sections": chosen, **figures.pop("meta")}]
            figures = {**kept, **figures, "meta": {**kept["meta"], "reruns": reruns}}
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
