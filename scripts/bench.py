"""`make bench`: tradeloop's performance figures, each beside the alternative it replaces.

    python scripts/bench.py [--quick] [--only backtest,features,inference,api] [--json out.json]

- backtest: our vectorized long/flat backtest vs vectorbt's Portfolio.from_signals, same
  signals, prices and costs (final equity must agree to 1e-9, else the figure is void);
- features: the signal Lambda's numpy feature code on the bars one signal run reads, vs the
  same features computed with pandas rolling windows (what the Lambda avoids shipping);
- inference: cold start (new process: import the runtime, load the model, one prediction) and
  warm latency of one prediction, onnxruntime on model.onnx vs TensorFlow/Keras on model.h5;
- api: POST /orders through the local router (HTTP -> API Gateway v2 event -> handler ->
  moto over HTTP) vs calling the same handler in-process with the same event: the price of the
  emulated network hops, sequential p50/p95 and concurrent throughput.

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
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    return rows, {"backtest_ours_s": t_ours, "backtest_vectorbt_s": t_vbt, "backtest_max_rel_diff": worst}


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


# ----------------------------------------------------------------------------------------- api


def bench_api(quick: bool) -> tuple[list[Row], dict[str, float]]:
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from tradeloop_local.embedded import embedded_stack
    from tradeloop_local.runtime import LocalRuntime
    from tradeloop_local.seed import reset_account

    _progress("api: starting the emulator, provisioning and seeding the stack (make up's way)")
    state = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    with embedded_stack(state, log=_progress) as stack:
        # Keep the handlers' JSON logs and EMF metrics out of the table (as CloudWatch would);
        # the Lambda worker processes inherit these.
        os.environ.update(
            POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", PYTHONWARNINGS="ignore::UserWarning"
        )
        reset_account(Decimal("100000000"))  # every timed order fills: no limit is reached
        runtime = LocalRuntime(info=stack.info, concurrency=4, poll=False).start()
        try:
            n = 20 if quick else 100

            def order(_: int = 0) -> float:
                body = {"client_order_id": uuid.uuid4().hex, "symbol": "IBM", "side": "BUY", "quantity": 1}
                t0 = time.perf_counter()
                r = requests.post(f"{runtime.api_url}/orders", json=body, timeout=60)
                if r.status_code != 201 or r.json()["status"] != "FILLED":
                    raise SystemExit(f"POST /orders answered {r.status_code}: {r.text[:300]}")
                return time.perf_counter() - t0

            order()  # warm every layer once
            _progress(f"api: {n} sequential orders over HTTP")
            seq = sorted(order() for _ in range(n))
            _progress(f"api: {n} orders from 8 threads")
            t0 = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(order, range(n)))
            throughput = n / (time.perf_counter() - t0)
        finally:
            runtime.stop()

        from order_service.main import lambda_handler
        from tradeloop_local.lambda_pool import LocalLambdaContext
        from tradeloop_local.router import direct_http_event

        def direct() -> float:
            body = {"client_order_id": uuid.uuid4().hex, "symbol": "IBM", "side": "BUY", "quantity": 1}
            event = direct_http_event("POST", "/orders", json.dumps(body))
            t0 = time.perf_counter()
            out = lambda_handler(event, LocalLambdaContext("order"))
            if out["statusCode"] != 201 or json.loads(out["body"])["status"] != "FILLED":
                raise SystemExit(f"in-process handler answered {out['statusCode']}: {out['body'][:300]}")
            return time.perf_counter() - t0

        direct()
        _progress(f"api: {n} in-process handler calls")
        inproc = sorted(direct() for _ in range(n))

    def pct(xs: list[float], q: float) -> float:
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    rows = [
        ("POST /orders p50 (sequential)", _ms(pct(seq, 0.5)), _ms(pct(inproc, 0.5)), "router vs in-process handler"),
        ("POST /orders p95 (sequential)", _ms(pct(seq, 0.95)), _ms(pct(inproc, 0.95)), "both against moto over HTTP"),
        ("POST /orders, 8 clients", f"{throughput:,.1f} orders/s", "-", "emulator serialises requests"),
    ]
    return rows, {"api_p50_s": pct(seq, 0.5), "api_p95_s": pct(seq, 0.95), "inproc_p50_s": pct(inproc, 0.5)}


SECTIONS: dict[str, Callable[[bool], tuple[list[Row], dict[str, float]]]] = {
    "backtest": bench_backtest,
    "features": bench_features,
    "inference": bench_inference,
    "api": bench_api,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke run)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--json", type=Path, help="also write the raw figures (seconds) here")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")

    rows: list[Row] = []
    figures: dict[str, float] = {}
    for i, name in enumerate(chosen, 1):
        _progress(f"({i}/{len(chosen)}) {name}")
        r, f = SECTIONS[name](args.quick)
        rows += r
        figures.update(f)

    header = ("what", "tradeloop", "alternative", "note")
    widths = [max(len(str(x[i])) for x in [header, *rows]) for i in range(4)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
