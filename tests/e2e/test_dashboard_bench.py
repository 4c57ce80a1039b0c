"""Page load with 1,000 orders over 20 symbols (20 open positions): Orders and Positions in Chromium.

Checks both pages render every row without console errors and prints the timings (never asserts
them). The figures with API-only seeding: `scripts/bench_dashboard.py` without `--direct`."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import ROOT
from tests.utils import loud

pytestmark = [pytest.mark.browser, pytest.mark.slow]

N_ORDERS = 1000


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_dashboard", ROOT / "scripts" / "bench_dashboard.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_orders_and_positions_render_1000_orders_20_positions(
    pytestconfig: pytest.Config,
    driver: Any,
    dashboard_url: str,
    local_api: str,
    aws_env: dict[str, Any],
    fresh_account: Any,
    request: pytest.FixtureRequest,
) -> None:
    bench = _bench()
    # Given 1,000 orders over 20 symbols and 20 open positions
    fresh_account(Decimal("1000000"))
    bucket, s3 = aws_env["stack"]["TRADELOOP_DATA_BUCKET"], aws_env["session"].client("s3")
    bench.seed_symbols(aws_env["session"], bucket)
    # The data bucket is shared by the whole session: the other suites expect the four sample symbols.
    request.addfinalizer(
        lambda: [s3.delete_object(Bucket=bucket, Key=f"bars/daily/{sym}.csv") for sym in bench.SYNTHETIC]
    )
    request.addfinalizer(fresh_account)  # runs first: no position is left in a symbol without bars
    bench.seed_orders_direct(local_api, N_ORDERS, log=lambda m: loud(m))
    bench.warm_api(local_api)
    # When Orders and Positions are opened (one untimed load, then 3 timed runs each)
    result = bench.measure(driver, dashboard_url, N_ORDERS, n_positions=20, runs=3)
    result["api"] = bench.api_timing(local_api)
    # Then both render all their data without console errors (measure() waits for every row and
    # the order count); the timings are reported, never asserted (they belong to `make bench`)
    loud(f"PAGE LOAD ({N_ORDERS} orders, 20 positions): {result}")
    assert result["console_errors"] == 0
