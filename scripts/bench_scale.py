"""`make bench`'s scale sections (scripts/bench.py imports them): a universe, not four stocks.

- signal: the signal step over 4 / 50 / 500 generated symbols with 10 and 30 years of history,
  each configuration in a fresh process (one cold Lambda instance): time, peak memory (max RSS,
  and what the run added to it), AWS requests; beside the per-symbol path it replaces (each
  symbol's whole CSV parsed into Decimals, three DynamoDB calls per symbol, one at a time);
- rebalance: the daily rebalance of 500 symbols end to end in the embedded mode, through the
  functions as their roles (signal -> SQS -> order: 500 orders PENDING -> the fill step at the
  next open: 500 fills, reconciliation, the snapshot), then the same day once more in-process to
  count the AWS requests per filled order and per signal run;
- orders: POST /orders through the local router at 1 / 8 / 32 clients, and where an order's
  time goes (each AWS call's count and wait, in-process);
- cost: those requests priced (docs/prices.json) per 1,000 orders and per month at a stated load;
- packages: the Lambda packages' sizes (scripts/package_lambdas.py) against their budgets.

    python scripts/bench_scale.py signal-worker --bucket B --symbols N --years Y --as-of D --mode M
is the one-configuration process the signal section starts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
Row = tuple[str, str, str, str]
SIGNAL_SYMBOLS = (4, 50, 500)
SIGNAL_YEARS = (10, 30)
SEED = 7
PRICES = REPO / "docs" / "prices.json"


def _progress(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


def _s(seconds: float) -> str:
    return f"{seconds * 1e3:,.0f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def _quiet_handlers() -> None:
    """Keep the handlers' JSON logs and EMF metrics out of the tables (as CloudWatch would)."""
    os.environ.update(
        POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", PYTHONWARNINGS="ignore::UserWarning"
    )
    from tradeloop_common.observability import logger  # handlers run in this process too

    logger.setLevel("WARNING")


# ----------------------------------------------------------------------------------- signal


def _signal_deps(bucket: str, names: list[str], spec: Any, as_of: datetime, bias: float = 0.0) -> Any:
    """The signal service's dependencies over ``bucket`` with the universe's model live (served
    from memory: loading the model is the same constant cost whatever the universe)."""
    from signal_service.logic.dependencies import Dependencies
    from signal_service.logic.model_cache import LiveModel, verify_and_build
    from tradeloop_common.clock import FixedClock
    from tradeloop_common.dal.bars import BarsRepository
    from tradeloop_common.dal.health import get_health_store
    from tradeloop_common.dal.signals import get_signal_store
    from tradeloop_common.models import Controls
    from tradeloop_common.settings import SignalEnv
    from tradeloop_local.synthetic import generate, universe_model

    # The scaler from the last 500 rows of a few series: small, so the process's memory high-water
    # mark before the run is the runtime's, not the sample's.
    sample = []
    for _, text in generate(spec.__class__(min(spec.symbols, 8), spec.years, spec.seed, spec.end)):
        lines = text.splitlines()
        sample.append("\n".join([lines[0], *lines[1:][-500:]]) + "\n")
    onnx, manifest = universe_model(names, sample, version="bench", bias=bias)
    manifest, predictor = verify_and_build("bench", json.dumps(manifest).encode(), onnx)

    class _Model:
        def current(self) -> LiveModel:
            return LiveModel("bench", "etag", manifest, predictor, None, 0.0)

    class _Queue:
        def __init__(self) -> None:
            self.sent: list[Any] = []

        def send(self, intent: Any) -> str:
            self.sent.append(intent)
            return str(intent.intent_id)

    class _Controls:
        def get(self, account_id: str) -> Controls:
            return Controls()

    return Dependencies(
        signals=get_signal_store(),
        health=get_health_store(),  # the model has no monitoring: nothing is read or kept
        bars=BarsRepository(bucket),
        models=None,  # type: ignore[arg-type]
        model_cache=_Model(),  # type: ignore[arg-type]
        queue=_Queue(),  # type: ignore[arg-type]
        limits=SignalEnv.model_validate({"TRADELOOP_MAX_MODEL_AGE_DAYS": "0"}),
        controls=_Controls(),  # type: ignore[arg-type]
        account_id="paper",
        clock=FixedClock(as_of),
    )


def per_symbol_run(as_of: datetime, deps: Any) -> int:
    """The path the windows replace, as the signal step ran it: per symbol, the previous row and the
    stored row (two DynamoDB calls), the whole CSV parsed into Decimals (cached), one conditional
    put, one symbol after the other. Returns the TARGET count."""
    from signal_service.logic.run_signals import _probability, _signal, stale_reason
    from tradeloop_common.models import SignalAction

    live = deps.model_cache.current()
    targets = 0
    for symbol in sorted(live.universe):
        prev = deps.signals.previous(symbol, as_of)
        signal = deps.signals.get(symbol, as_of)
        if signal is None:
            bars = deps.bars.get(symbol)
            why = stale_reason(bars, as_of, deps.limits.max_bar_age_days)
            verdict: float | str = why if why else _probability(live, bars, as_of)
            signal = _signal(symbol, as_of, live, verdict, prev.target_weight if prev else Decimal(0), deps)
            deps.signals.put(signal)
        targets += signal.action is SignalAction.TARGET
    return targets


def signal_worker(args: argparse.Namespace) -> int:
    """One configuration in this fresh process: prints its figures as one JSON line."""
    from signal_service.logic.run_signals import run_signals
    from tradeloop_common.models import SignalAction
    from tradeloop_local.aws_requests import Timings, count_requests
    from tradeloop_local.synthetic import UniverseSpec, symbol_name

    spec = UniverseSpec(args.symbols, args.years, SEED)
    names = [symbol_name(i) for i in range(args.symbols)]
    as_of = datetime.combine(date.fromisoformat(args.as_of), datetime.min.time(), UTC).replace(hour=21)
    deps = _signal_deps(args.bucket, names, spec, as_of)
    from tradeloop_common.dal.aws import client

    for service in ("s3", "dynamodb"):  # a warm runtime's clients exist before the run
        client(service)
    before = _peak_rss()
    timings = Timings()
    with count_requests(timings=timings) as requests:
        t0 = time.perf_counter()
        if args.mode == "windows":
            outcome = run_signals(as_of, None, deps)
            targets = sum(1 for s in outcome.signals if s.action is SignalAction.TARGET)
        else:
            targets = per_symbol_run(as_of, deps)
        seconds = time.perf_counter() - t0
    figures = {"seconds": seconds, "rss_before": before, "rss_peak": _peak_rss(), "targets": targets}
    # The time spent waiting on the emulator's answers (summed over the reading threads: the wall
    # time they overlap is less), S3's apart: what the history's length could still reach.
    waits = {"aws_wait_s": sum(timings.values()), "s3_wait_s": timings["s3:GetObject"]}
    print(json.dumps({**figures, **waits, "requests": dict(requests)}))
    return 0


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM: of this program only; ru_maxrss would
    also count the parent it was forked from before the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _put_universe(spec: Any, bucket: str) -> None:
    from tradeloop_common.dal.aws import client
    from tradeloop_local.synthetic import write_bucket

    client("s3").create_bucket(Bucket=bucket)
    write_bucket(spec, bucket, log=_progress)


def bench_signal(quick: bool) -> tuple[list[Row], dict[str, Any]]:
    from tradeloop_local.embedded import embedded_stack
    from tradeloop_local.synthetic import UniverseSpec

    sizes = (4, 50) if quick else SIGNAL_SYMBOLS
    years_list = (2, 3) if quick else SIGNAL_YEARS
    rows: list[Row] = []
    figures: dict[str, Any] = {}
    with embedded_stack(Path(tempfile.mkdtemp(prefix="bench-signal-")), log=_progress) as stack:
        sessions = UniverseSpec(1, 1, SEED).sessions()
        k = 0
        for years in years_list:
            spec = UniverseSpec(max(sizes), years, SEED)
            bucket = f"bench-universe-{years}y"
            _progress(f"signal: generating {spec.symbols} symbols x {years} years into s3://{bucket}")
            _put_universe(spec, bucket)
            for n in sizes:
                for mode in ("windows", "per-symbol"):
                    k += 1  # a decision day of its own per run: none reuses another's rows
                    as_of = sessions[-k]
                    _progress(f"signal: {n} symbols x {years} years, {mode} path (fresh process), as of {as_of}")
                    out = subprocess.run(
                        [sys.executable, __file__, "signal-worker", "--bucket", bucket, "--symbols", str(n)]
                        + ["--years", str(years), "--as-of", as_of.isoformat(), "--mode", mode],
                        capture_output=True,
                        text=True,
                        env={**os.environ, "AWS_ENDPOINT_URL": stack.endpoint_url},
                        check=False,
                    )
                    if out.returncode:
                        raise SystemExit(f"signal worker failed:\n{out.stderr[-3000:]}")
                    figures[f"signal_{n}_{years}y_{mode}"] = json.loads(out.stdout.strip().splitlines()[-1])
            for n in sizes:
                ours, theirs = figures[f"signal_{n}_{years}y_windows"], figures[f"signal_{n}_{years}y_per-symbol"]
                rows += [
                    (
                        f"signal run, {n} symbols x {years} y: time",
                        _s(ours["seconds"]),
                        _s(theirs["seconds"]),
                        f"per-symbol path x{theirs['seconds'] / ours['seconds']:,.1f}",
                    ),
                    (
                        "  peak memory (max RSS; run's own)",
                        f"{_mb(ours['rss_peak'])} ({_mb(ours['rss_peak'] - ours['rss_before'])})",
                        f"{_mb(theirs['rss_peak'])} ({_mb(theirs['rss_peak'] - theirs['rss_before'])})",
                        "one fresh process each, as a cold Lambda",
                    ),
                    (
                        "  AWS requests",
                        _requests(ours["requests"]),
                        _requests(theirs["requests"]),
                        f"targets {ours['targets']} = {theirs['targets']}",
                    ),
                    (
                        "  of which S3 reads (summed over threads)",
                        _s(ours["s3_wait_s"]),
                        _s(theirs["s3_wait_s"]),
                        "the emulator slices a ranged GET from the whole object",
                    ),
                ]
                if ours["targets"] != theirs["targets"]:
                    raise SystemExit(f"{n} symbols x {years} y: the paths disagree on the targets: figures void")
    big, small = max(sizes), min(sizes)
    rows.append(_fanout_rule(figures, big, small, years_list[-1]))
    flat = [figures[f"signal_{big}_{y}y_windows"]["seconds"] for y in years_list]
    figures["signal_flatness"] = flat[-1] / flat[0]
    runs = [figures[f"signal_{big}_{y}y_windows"] for y in years_list]
    gets = [r["requests"].get("s3:GetObject", 0) for r in runs]
    rows += [
        (
            f"  {big} symbols, {years_list[-1]} y vs {years_list[0]} y of history",
            f"x{flat[-1] / flat[0]:.2f}",
            f"x{_ratio(figures, big, years_list, 'per-symbol'):.2f}",
            "time ratio; flat = cost follows the lookback",
        ),
        (
            "  same, S3 reads (count; summed wait)",
            f"{gets[0]:,} = {gets[-1]:,}; x{runs[-1]['s3_wait_s'] / max(runs[0]['s3_wait_s'], 1e-9):.2f}",
            "-",
            "same requests; a longer object costs the emulator, not S3",
        ),
    ]
    return rows, figures


# The signal function (terraform/modules/stack/services.tf): one function runs a universe while it
# stays under half of each limit; past that, the rule says to fan out over chunks of that size.
SIGNAL_TIMEOUT_S, SIGNAL_MEMORY_MB = 120, 1024


def _fanout_rule(figures: dict[str, Any], big: int, small: int, years: int) -> Row:
    """Symbols one signal function can take within half its timeout and half its memory, from the
    measured cost per symbol (the time of the big run over its symbols; the memory it added beyond
    the small run's)."""
    a, b = figures[f"signal_{small}_{years}y_windows"], figures[f"signal_{big}_{years}y_windows"]
    per_symbol_s = b["seconds"] / big
    per_symbol_mb = max((b["rss_peak"] - a["rss_peak"]) / 2**20 / (big - small), 1e-3)
    by_time = SIGNAL_TIMEOUT_S / 2 / per_symbol_s
    by_memory = (SIGNAL_MEMORY_MB / 2 - a["rss_peak"] / 2**20) / per_symbol_mb
    threshold = int(min(by_time, by_memory))
    figures["fanout"] = {
        "per_symbol_s": per_symbol_s,
        "per_symbol_mb": per_symbol_mb,
        "max_symbols_by_time": int(by_time),
        "max_symbols_by_memory": int(by_memory),
        "threshold_symbols": threshold,
    }
    return (
        "  fan-out rule: one function up to",
        f"{threshold:,} symbols",
        f"{per_symbol_s * 1e3:.1f} ms, {per_symbol_mb:.3f} MB / symbol",
        f"half of {SIGNAL_TIMEOUT_S} s and of {SIGNAL_MEMORY_MB} MB; above: chunks of that size",
    )


def _ratio(figures: dict[str, Any], n: int, years_list: tuple[int, ...], mode: str) -> float:
    a, b = (figures[f"signal_{n}_{y}y_{mode}"]["seconds"] for y in (years_list[0], years_list[-1]))
    return float(b / a)


def _requests(counts: dict[str, int]) -> str:
    by: Counter[str] = Counter()
    for key, n in counts.items():
        by[key.split(":", 1)[0]] += n
    return " ".join(f"{svc} {n:,}" for svc, n in sorted(by.items())) or "0"


# -------------------------------------------------------------------------------- rebalance


class _InProcessPool:
    """A LambdaPool stand-in that runs the handler in this process (its AWS calls counted here)."""

    def __init__(self, handler: Callable[..., Any], name: str) -> None:
        self._handler, self._name = handler, name

    def invoke(self, event: dict[str, Any], timeout: float = 120) -> Any:
        from tradeloop_local.lambda_pool import LocalLambdaContext

        return self._handler(event, LocalLambdaContext(self._name))


def _publish_model(info: Any, names: list[str], spec: Any, version: str, bias: float) -> None:
    from tradeloop_common.dal.aws import client
    from tradeloop_common.dal.registry import latest_key, version_key
    from tradeloop_local.synthetic import generate, universe_model

    sample = [text for _, text in generate(spec.__class__(8, spec.years, spec.seed, spec.end))]
    onnx, manifest = universe_model(names, sample, version=version, bias=bias)
    s3, bucket = client("s3"), info.environment["TRADELOOP_MODELS_BUCKET"]
    s3.put_object(Bucket=bucket, Key=version_key("tradeloop", version, "model.onnx"), Body=onnx)
    s3.put_object(Bucket=bucket, Key=version_key("tradeloop", version, "manifest.json"), Body=json.dumps(manifest))
    s3.put_object(
        Bucket=bucket, Key=latest_key("tradeloop"), Body=json.dumps({"version": version, "action": "promote"})
    )


def bench_rebalance(quick: bool) -> tuple[list[Row], dict[str, Any]]:
    import boto3

    from tradeloop_common.valuation import close_of
    from tradeloop_local.embedded import embedded_stack
    from tradeloop_local.replay import drain
    from tradeloop_local.runtime import LocalRuntime
    from tradeloop_local.scheduler import bars_ingested_event, scheduled_event
    from tradeloop_local.seed import reset_account
    from tradeloop_local.synthetic import UniverseSpec, write_bucket

    n = 50 if quick else 500
    spec = UniverseSpec(n, 10, SEED)
    names = spec.names()
    sessions = spec.sessions()
    decide, open_day = sessions[-4], sessions[-3]  # then sessions[-3] -> [-2] in-process, counted
    figures: dict[str, Any] = {"rebalance_symbols": n}
    _quiet_handlers()
    # A 1/500 weight is 0.2 % of equity: the default 1 % no-trade band would trade nothing.
    os.environ.update(TRADELOOP_REBALANCE_BAND="0.0005", TRADELOOP_MODEL_CHECK_SECONDS="0")
    with embedded_stack(Path(tempfile.mkdtemp(prefix="bench-rebalance-")), log=_progress) as stack:
        info = stack.info
        _progress(f"rebalance: {n} symbols x 10 years into the stack's data bucket; a model long on all of them")
        write_bucket(spec, info.environment["TRADELOOP_DATA_BUCKET"], log=_progress)
        _publish_model(info, names, spec, "bench-long", bias=4.0)
        reset_account(Decimal("10000000"))
        runtime = LocalRuntime(info=info, concurrency=2, poll=False).start()
        try:
            assert runtime.poller is not None
            sqs = boto3.session.Session().client("sqs")
            url = info.environment["TRADELOOP_ORDER_QUEUE_URL"]
            _progress(f"rebalance: signal at the close of {decide} (signal function, its role)")
            t0 = time.perf_counter()
            report = runtime.pools["signal"].invoke(scheduled_event(close_of(decide)), timeout=600)
            t_signal = time.perf_counter() - t0
            _progress(f"rebalance: intent -> order function ({len(report['intents'])} intent); orders PENDING")
            t1 = time.perf_counter()
            drain(runtime.poller, sqs, url, timeout=900)
            t_orders = time.perf_counter() - t1
            _progress(f"rebalance: fill step at the open of {open_day}: fills, reconciliation, snapshot")
            t2 = time.perf_counter()
            filled = runtime.pools["order"].invoke(bars_ingested_event(open_day), timeout=900)
            t_fill = time.perf_counter() - t2
        finally:
            runtime.stop()
        n_filled = sum(1 for o in filled["orders"] if o["status"] == "FILLED")
        figures.update(
            rebalance_signal_s=t_signal,
            rebalance_orders_s=t_orders,
            rebalance_fill_snapshot_s=t_fill,
            rebalance_total_s=t_signal + t_orders + t_fill,
            rebalance_filled=n_filled,
            rebalance_orders=len(filled["orders"]),
        )
        counted = _counted_day(info, names, spec, sessions[-3], sessions[-2], sqs, url)
        figures.update(counted)
    rows = [
        (
            f"daily rebalance, {n} symbols end to end",
            _s(figures["rebalance_total_s"]),
            "-",
            f"{n_filled} of {len(filled['orders'])} orders filled, one snapshot",
        ),
        ("  signal (scores, rows, one intent)", _s(t_signal), "-", "signal function, as its role"),
        ("  intent -> orders PENDING", _s(t_orders), "-", "order function via the queue"),
        ("  fill step: fills, reconcile, snapshot", _s(t_fill), "-", "order function, the pipeline event"),
        (
            "  AWS requests per filled order",
            f"{figures['requests_per_filled_order']:.2f}",
            "<= 6 (target)",
            f"rebalance + fill + snapshot, {figures['counted_filled']} fills counted in-process",
        ),
        (
            "  AWS requests per signal run",
            f"{figures['requests_per_signal_run']:,}",
            "-",
            _requests(figures["requests_signal"]),
        ),
    ]
    return rows, figures


def _counted_day(info: Any, names: list[str], spec: Any, decide: date, open_day: date, sqs: Any, url: str) -> dict:
    """The same day in this process, every AWS request counted: the model now flat on every
    symbol, so each of the day before's positions is sold (one order each)."""
    import boto3

    from order_service.main import lambda_handler as order_handler
    from signal_service.main import lambda_handler as signal_handler
    from tradeloop_common.valuation import close_of
    from tradeloop_local.aws_requests import count_requests
    from tradeloop_local.embedded import reset_caches
    from tradeloop_local.poller import QueuePoller
    from tradeloop_local.replay import drain
    from tradeloop_local.scheduler import bars_ingested_event, scheduled_event

    _progress(f"rebalance: the next day in-process, counting AWS requests (a model flat on all {len(names)})")
    _publish_model(info, names, spec, "bench-flat", bias=-4.0)
    reset_caches()
    poller = QueuePoller(boto3.session.Session(), info.endpoint_url, url, _InProcessPool(order_handler, "order"))
    signal_units: Counter[str] = Counter()
    order_units: Counter[str] = Counter()
    with count_requests(units=signal_units) as signal_requests:
        report = _InProcessPool(signal_handler, "signal").invoke(scheduled_event(close_of(decide)))
    with count_requests(units=order_units) as order_requests:
        drain(poller, sqs, url, timeout=900)
        filled = _InProcessPool(order_handler, "order").invoke(bars_ingested_event(open_day))
    n_filled = sum(1 for o in filled["orders"] if o["status"] == "FILLED")
    # The poller's own receive/delete are the event source mapping's, which AWS does not bill per
    # order; they are left in, as requests all the same.
    total = sum(order_requests.values())
    return {
        "counted_filled": n_filled,
        "counted_signals": len(report["signals"]),
        "requests_signal": dict(signal_requests),
        "requests_orders": dict(order_requests),
        "units_signal": dict(signal_units),
        "units_orders": dict(order_units),
        "requests_per_signal_run": sum(signal_requests.values()),
        "requests_per_filled_order": total / max(n_filled, 1),
    }


# ----------------------------------------------------------------------------------- orders


def bench_orders(quick: bool) -> tuple[list[Row], dict[str, Any]]:
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from order_service.main import lambda_handler
    from tradeloop_local.aws_requests import Timings, count_requests
    from tradeloop_local.embedded import embedded_stack
    from tradeloop_local.lambda_pool import LocalLambdaContext
    from tradeloop_local.router import direct_http_event
    from tradeloop_local.runtime import LocalRuntime
    from tradeloop_local.seed import reset_account

    n = 20 if quick else 100
    figures: dict[str, Any] = {}
    _quiet_handlers()
    with embedded_stack(Path(tempfile.mkdtemp(prefix="bench-orders-")), log=_progress) as stack:
        reset_account(Decimal("100000000"))  # every timed order fills: no limit is reached
        runtime = LocalRuntime(info=stack.info, concurrency=4, poll=False).start()
        try:

            def order(_: int = 0) -> float:
                body = {"client_order_id": uuid.uuid4().hex, "symbol": "IBM", "side": "BUY", "quantity": 1}
                t0 = time.perf_counter()
                r = requests.post(f"{runtime.api_url}/orders", json=body, timeout=120)
                if r.status_code != 201 or r.json()["status"] != "FILLED":
                    raise SystemExit(f"POST /orders answered {r.status_code}: {r.text[:300]}")
                return time.perf_counter() - t0

            order()  # warm every layer once
            for clients in (1, 8, 32):
                total = n if clients == 1 else max(n, 4 * clients)
                _progress(f"orders: {total} orders from {clients} client(s) through the router")
                t0 = time.perf_counter()
                with ThreadPoolExecutor(clients) as pool:
                    lat = sorted(pool.map(order, range(total)))
                wall = time.perf_counter() - t0
                figures[f"orders_{clients}_clients"] = {
                    "orders_per_s": total / wall,
                    "p50_s": lat[len(lat) // 2],
                    "p95_s": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
                }
        finally:
            runtime.stop()

        def direct() -> None:
            body = {"client_order_id": uuid.uuid4().hex, "symbol": "IBM", "side": "BUY", "quantity": 1}
            out = lambda_handler(direct_http_event("POST", "/orders", json.dumps(body)), LocalLambdaContext("order"))
            if out["statusCode"] != 201:
                raise SystemExit(f"in-process handler answered {out['statusCode']}: {out['body'][:300]}")

        direct()
        _progress(f"orders: {n} in-process orders, each AWS call counted and timed")
        timings = Timings()
        with count_requests(timings=timings) as counts:
            t0 = time.perf_counter()
            for _ in range(n):
                direct()
            wall = time.perf_counter() - t0
    per_order = {k: v / n for k, v in sorted(counts.items())}
    waits = {k: timings[k] / counts[k] for k in counts}
    aws_s = sum(timings.values()) / n
    figures["order_profile"] = {
        "wall_s": wall / n,
        "aws_wait_s": aws_s,
        "requests_per_order": sum(per_order.values()),
        "per_operation": {k: {"per_order": per_order[k], "mean_ms": waits[k] * 1e3} for k in per_order},
    }
    # The emulator serves one request at a time: its throughput ceiling is one order per
    # (requests per order x time per request), whatever the number of clients.
    figures["orders_ceiling_per_s"] = 1 / aws_s
    rows: list[Row] = []
    for clients in (1, 8, 32):
        f = figures[f"orders_{clients}_clients"]
        rows.append(
            (
                f"POST /orders, {clients} client(s)",
                f"{f['orders_per_s']:,.1f} orders/s",
                f"p50 {_s(f['p50_s'])}, p95 {_s(f['p95_s'])}",
                "router -> 4 Lambda workers -> emulator",
            )
        )
    top = sorted(
        figures["order_profile"]["per_operation"].items(), key=lambda kv: -kv[1]["per_order"] * kv[1]["mean_ms"]
    )
    rows.append(
        (
            "  one order in-process: wall / AWS wait",
            f"{_s(wall / n)} / {_s(aws_s)}",
            f"{sum(per_order.values()):.1f} requests",
            "ceiling " + f"{1 / aws_s:,.1f} orders/s (emulator serialises requests)",
        )
    )
    for op, f in top[:5]:
        rows.append((f"    {op}", f"{f['per_order']:.1f} x {f['mean_ms']:.1f} ms", "", "per order"))
    return rows, figures


# ------------------------------------------------------------------------------------- cost


def cost_table(figures: dict[str, Any]) -> tuple[list[Row], dict[str, Any]]:
    """Requests priced: per 1,000 filled orders and per month at the stated load."""
    prices = json.loads(PRICES.read_text())
    p = prices["prices_usd"]
    load = prices["load"]
    rows: list[Row] = []
    out: dict[str, Any] = {}
    if "requests_orders" not in figures:
        return rows, out

    def price(counts: dict[str, int], units: dict[str, int]) -> float:
        """S3, SQS and EventBridge bill requests; DynamoDB bills request units (aws_requests)."""
        usd = units.get("dynamodb:read", 0) * p["dynamodb_read_per_million"] / 1e6
        usd += units.get("dynamodb:write", 0) * p["dynamodb_write_per_million"] / 1e6
        for key, k in counts.items():
            service, op = key.split(":", 1)
            if service == "s3":
                usd += k * (p["s3_get_per_1000"] if op in ("GetObject", "HeadObject") else p["s3_put_per_1000"]) / 1000
            elif service == "sqs":
                usd += k * p["sqs_fifo_per_million"] / 1e6
            elif service == "events":
                usd += k * p["eventbridge_custom_event_per_million"] / 1e6
        return usd

    orders = figures["requests_orders"]
    per_1000_orders = price(orders, figures["units_orders"]) / max(figures["counted_filled"], 1) * 1000
    per_run = price(figures["requests_signal"], figures["units_signal"])
    lambda_gb_s = (
        figures.get("rebalance_signal_s", 0) * 1.0
        + (figures.get("rebalance_orders_s", 0) + figures.get("rebalance_fill_snapshot_s", 0)) * 0.5
    )
    per_day_lambda = lambda_gb_s * p["lambda_per_gb_second"]
    month = load["sessions_per_month"] * (
        per_run + per_1000_orders * load["orders_per_session"] / 1000 + per_day_lambda
    )
    out.update(cost_per_1000_orders_usd=per_1000_orders, cost_per_signal_run_usd=per_run, cost_per_month_usd=month)
    rows += [
        (
            "AWS requests, per 1,000 filled orders",
            f"${per_1000_orders:.4f}",
            "-",
            f"prices {prices['as_of']}, us-east-1",
        ),
        ("AWS requests, per signal run", f"${per_run:.5f}", "-", "S3 GETs + DynamoDB units"),
        (
            "per month at the stated load",
            f"${month:.2f}",
            "-",
            f"{load['sessions_per_month']} sessions x ({load['orders_per_session']} orders + 1 run), Lambda too",
        ),
    ]
    return rows, out


# --------------------------------------------------------------------------------- packages


def bench_packages(quick: bool) -> tuple[list[Row], dict[str, Any]]:
    out_dir = REPO / "build" / "lambda"
    _progress("packages: scripts/package_lambdas.py (pip downloads the pinned wheels once; cached)")
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "package_lambdas.py"), "--out", str(out_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        _progress(f"packages: could not build ({proc.stderr.strip()[-300:]}); left out")
        return [], {}
    sys.path.insert(0, str(REPO / "scripts"))
    from package_lambdas import BUDGETS_MB, LAYERS_OF

    manifest = json.loads((out_dir / "manifest.json").read_text())["artifacts"]
    rows: list[Row] = []
    figures: dict[str, Any] = {}
    for svc, budget in BUDGETS_MB.items():
        total = manifest[svc]["unzipped"] + sum(manifest[layer]["unzipped"] for layer in LAYERS_OF[svc])
        figures[f"package_{svc}_mb"] = total / 2**20
        rows.append(
            (f"package {svc} (with layers, unzipped)", _mb(total), f"budget {budget} MB", "250 MB is Lambda's limit")
        )
    return rows, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("signal-worker", help="one signal configuration in this process (bench's own)")
    w.add_argument("--bucket", required=True)
    w.add_argument("--symbols", type=int, required=True)
    w.add_argument("--years", type=int, required=True)
    w.add_argument("--as-of", required=True)
    w.add_argument("--mode", choices=("windows", "per-symbol"), required=True)
    args = parser.parse_args(argv)
    return signal_worker(args)


if __name__ == "__main__":
    sys.exit(main())
