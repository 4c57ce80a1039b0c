"""How long the dashboard takes to render Orders and Positions with 1,000 orders over 20 symbols.

    .venv/bin/python scripts/bench_dashboard.py            # self-contained: its own emulator, API, dashboard
    .venv/bin/python scripts/bench_dashboard.py --direct     # seed past orders straight into DynamoDB (seconds)
    .venv/bin/python scripts/bench_dashboard.py --orders 500 --runs 5

It starts moto + the stack + the local runtime (no poller, no scheduler) + the dashboard under
gunicorn on free loopback ports, uploads daily bars for 16 synthetic symbols next to the 4 sample
ones (the sample data only covers AAPL/GOOG/IBM/MSFT), places 20 opening buys and then the rest of
the orders through POST /orders (small buys and sells, ~5% rejected), and times headless Chromium
from navigation until each page shows all of its rows. Everything it starts it stops.
tests/e2e/test_dashboard_bench.py runs the same functions on the test fixtures."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from tradeloop_common.layout import bars_key
from tradeloop_local.embedded import free_port

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ("AAPL", "GOOG", "IBM", "MSFT")
SYNTHETIC = tuple(f"SYN{i:02d}" for i in range(1, 17))
SYMBOLS = SAMPLE + SYNTHETIC
LAST_BAR = date(2013, 3, 1)


def synthetic_bars(symbol: str, days: int = 260) -> str:
    """A seeded random walk of daily bars ending on the sample's last day (header as the data bucket wants)."""
    rng = random.Random(symbol)
    price = rng.uniform(20, 200)
    day, rows = LAST_BAR, []
    while len(rows) < days:
        if day.weekday() < 5:
            rows.append(day)
        day -= timedelta(days=1)
    lines = ["date,open,high,low,close,volume"]
    for d in reversed(rows):
        open_ = price
        price = max(1.0, price * (1 + rng.gauss(0.0003, 0.015)))
        hi, lo = max(open_, price) * 1.005, min(open_, price) * 0.995
        lines.append(f"{d.isoformat()},{open_:.2f},{hi:.2f},{lo:.2f},{price:.2f},{rng.randint(100_000, 5_000_000)}")
    return "\n".join(lines) + "\n"


def seed_symbols(session: Any, data_bucket: str) -> list[str]:
    """Upload bars for the synthetic symbols (the 4 sample ones are seeded by the stack)."""
    s3 = session.client("s3")
    for symbol in SYNTHETIC:
        s3.put_object(Bucket=data_bucket, Key=bars_key(symbol), Body=synthetic_bars(symbol).encode())
    return list(SYMBOLS)


def _post(api: str, body: dict[str, Any]) -> dict[str, Any]:
    r = requests.post(f"{api}/orders", json=body, timeout=120)
    r.raise_for_status()
    return dict(r.json())


def seed_orders(api: str, n_orders: int = 1000, threads: int = 8, log: Callable[[str], None] = print) -> dict[str, int]:
    """20 opening buys (one per symbol), then small buys/sells until ``n_orders``; ~5% oversell (REJECTED)."""
    rng = random.Random(42)
    run = uuid.uuid4().hex[:6]
    bodies = [{"client_order_id": f"bench-{run}-open-{s}", "symbol": s, "side": "BUY", "quantity": 50} for s in SYMBOLS]
    for i in range(n_orders - len(bodies)):
        symbol = rng.choice(SYMBOLS)
        if rng.random() < 0.05:
            side, qty = "SELL", 100_000  # more than held: stored as REJECTED with its reason
        else:
            side, qty = ("BUY", rng.randint(1, 5)) if rng.random() < 0.6 else ("SELL", 1)
        bodies.append({"client_order_id": f"bench-{run}-{i}", "symbol": symbol, "side": side, "quantity": qty})
    started = time.perf_counter()
    for body in bodies[: len(SYMBOLS)]:  # positions first, so later sells have something to sell
        _post(api, body)
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda b: _post(api, b), bodies[len(SYMBOLS) :]))
    counts: dict[str, int] = {}
    for order in results:
        counts[order["status"]] = counts.get(order["status"], 0) + 1
    counts["FILLED"] = counts.get("FILLED", 0) + len(SYMBOLS)
    log(f"seeded {len(bodies)} orders in {time.perf_counter() - started:.1f} s: {counts}")
    return counts


def seed_orders_direct(api: str, n_orders: int = 1000, log: Callable[[str], None] = print) -> dict[str, int]:
    """Fast path for the test suite: the 20 opening buys through POST /orders (real fills, real
    positions), the rest written as past orders straight into the orders table with the service's
    own DAL (``put_new_order``), in the shape the order service stores. Needs the stack's
    environment in this process (as the test fixtures and ``main`` set it)."""
    from datetime import UTC, datetime

    from tradeloop_common.dal.trading import get_trading_store
    from tradeloop_common.models import Fill, Order, OrderStatus, Side
    from tradeloop_common.settings import get_settings

    rng = random.Random(42)
    run = uuid.uuid4().hex[:6]
    started = time.perf_counter()
    for s in SYMBOLS:
        _post(api, {"client_order_id": f"bench-{run}-open-{s}", "symbol": s, "side": "BUY", "quantity": 50})
    store, account = get_trading_store(), get_settings().account_id
    base = datetime(2026, 1, 2, 14, 30, tzinfo=UTC)
    counts = {"FILLED": len(SYMBOLS)}
    for i in range(n_orders - len(SYMBOLS)):
        when = base + timedelta(minutes=7 * i)
        rejected = rng.random() < 0.05
        side = Side.SELL if rejected or rng.random() < 0.4 else Side.BUY
        qty = 100_000 if rejected else rng.randint(1, 5)
        price = Decimal(str(round(rng.uniform(20, 500), 4)))
        fills = [] if rejected else [Fill(price=price, quantity=qty, commission=Decimal("0.05"), filled_at=when)]
        status = OrderStatus.REJECTED if rejected else OrderStatus.FILLED
        store.put_new_order(
            Order(
                order_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-{run}-{i}")),
                client_order_id=f"bench-{run}-{i}",
                account_id=account,
                symbol=rng.choice(SYMBOLS),
                side=side,
                quantity=qty,
                status=status,
                reason="insufficient position: selling more than held" if rejected else None,
                fills=fills,
                source="bench",
                as_of=when,
                created_at=when,
            )
        )
        counts[status.value] = counts.get(status.value, 0) + 1
    log(f"seeded {n_orders} orders in {time.perf_counter() - started:.1f} s (20 via the API): {counts}")
    return counts


def chrome(user_data_dir: str) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync --window-size=1440,1000"
    ).split():
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def _text(driver: Any, element_id: str) -> str:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return str(driver.find_element(By.ID, element_id).text)
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def _rows(driver: Any, table_id: str) -> int:
    from selenium.webdriver.common.by import By

    return len(driver.find_elements(By.CSS_SELECTOR, f"#{table_id} td[data-dash-column='symbol']"))


def time_page(driver: Any, url: str, ready: Callable[[Any], bool], timeout: float = 120) -> float:
    """Seconds from navigation to ``ready`` (the page's data rendered)."""
    from selenium.webdriver.support.ui import WebDriverWait

    started = time.perf_counter()
    driver.get(url)
    WebDriverWait(driver, timeout, poll_frequency=0.02).until(lambda d: ready(d))
    return time.perf_counter() - started


def warm_api(api: str, rounds: int = 8) -> None:
    """Start every Lambda worker process of the local runtime: each one's first call is a cold start
    (~1-2 s of imports), which is not what a page costs once the stack runs."""
    paths = ["/controls", "/portfolio", "/orders?limit=500"] * rounds
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: requests.get(f"{api}{p}", timeout=120), paths))


def measure(driver: Any, dashboard_url: str, n_orders: int, n_positions: int, runs: int = 3) -> dict[str, Any]:
    """Median (and every run) of the time to render Orders and Positions with all their data, after
    one untimed load of each page (reported as ``first_s``)."""
    shown = f"{n_orders:,} orders shown"
    pages = {
        "orders": (
            f"{dashboard_url}/orders",
            lambda d: shown in _text(d, "orders-counts") and _rows(d, "orders-table") == min(50, n_orders),
        ),
        "positions": (f"{dashboard_url}/positions", lambda d: _rows(d, "positions-table") == n_positions),
    }
    out: dict[str, Any] = {}
    for name, (url, ready) in pages.items():
        first = time_page(driver, url, ready)
        times = [time_page(driver, url, ready) for _ in range(runs)]
        out[name] = {
            "median_s": round(statistics.median(times), 3),
            "runs_s": [round(t, 3) for t in times],
            "first_s": round(first, 3),
        }
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    out["console_errors"] = len(errors)
    return out


def api_timing(api: str) -> dict[str, float]:
    """What the API alone takes for the data behind each page."""
    started = time.perf_counter()
    token, n = None, 0
    while True:
        params: dict[str, Any] = {"limit": 500, **({"next_token": token} if token else {})}
        page = requests.get(f"{api}/orders", params=params, timeout=120).json()
        n += len(page["orders"])
        token = page.get("next_token")
        if not token:
            break
    orders_s = time.perf_counter() - started
    started = time.perf_counter()
    requests.get(f"{api}/portfolio", timeout=120).raise_for_status()
    return {"GET /orders (all pages)": round(orders_s, 3), "GET /portfolio": round(time.perf_counter() - started, 3)}


# ------------------------------------------------------------------------------ standalone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--direct", action="store_true", help="seed all but the 20 opening orders straight into the orders table (fast)"
    )
    args = parser.parse_args(argv)

    import boto3

    from tradeloop_local.embedded import embedded_stack
    from tradeloop_local.runtime import LocalRuntime
    from tradeloop_local.seed import reset_account

    with embedded_stack(Path(tempfile.mkdtemp(prefix="bench-dashboard-"))) as stack:
        session = boto3.session.Session()
        reset_account(Decimal("1000000"))
        seed_symbols(session, stack.info.environment["TRADELOOP_DATA_BUCKET"])
        runtime = LocalRuntime(info=stack.info, concurrency=4, poll=False).start()
        try:
            return _measure(args, runtime)
        finally:
            runtime.stop()


def _measure(args: argparse.Namespace, runtime: Any) -> int:
    port = free_port()
    dash_log = open(Path(tempfile.gettempdir()) / "bench-dashboard.log", "wb")  # noqa: SIM115 - closed at exit
    dash_env = {**os.environ, "TRADELOOP_API_URL": str(runtime.api_url), "TRADELOOP_DASHBOARD_REFRESH_SECONDS": "300"}
    dash = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
        + ["--no-control-socket", "dashboard.app:server"],
        env=dash_env,
        cwd=ROOT,
        stdout=dash_log,
        stderr=subprocess.STDOUT,
    )
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    driver = None
    try:
        dashboard_url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if requests.get(f"{dashboard_url}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        if args.direct:
            seed_orders_direct(str(runtime.api_url), args.orders)
        else:
            seed_orders(str(runtime.api_url), args.orders, args.threads)
        n_positions = len(requests.get(f"{runtime.api_url}/portfolio", timeout=60).json()["positions"])
        warm_api(str(runtime.api_url))
        driver = chrome(profile)
        time_page(driver, f"{dashboard_url}/controls", lambda d: bool(_text(d, "controls-state")))  # warm-up
        result = measure(driver, dashboard_url, args.orders, n_positions, args.runs)
        result["api"] = api_timing(str(runtime.api_url))
        print(f"{args.orders} orders, {n_positions} positions: {result}")
        return 0
    finally:
        if driver is not None:
            driver.quit()
        dash.terminate()
        dash.wait(10)
        dash_log.close()


if __name__ == "__main__":
    raise SystemExit(main())
