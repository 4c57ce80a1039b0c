"""The dashboard in a real headless Chromium, against the local API over moto.

Each test starts from a fresh paper account (no orders, no positions, ACTIVE controls)."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.conftest import _wipe
from tests.e2e.conftest import publish_doc_image
from tests.e2e.pages import (
    PAGES,
    choose,
    click,
    column_index,
    fill,
    full_page_screenshot,
    open_page,
    page_text,
    set_trading_state,
    severe_console_entries,
    submit_ticket,
    table_rows,
    text_of,
    wait_for,
    wait_text,
)
from tests.utils import order_body, post_order, set_controls
from tradeloop_common.layout import latest_key

pytestmark = pytest.mark.browser


LAST_BAR = datetime(2013, 3, 1, 21, 0, tzinfo=UTC)  # the sample data ends there
MODEL_VERSION = "20130301T210000Z-3f9a2c1"


def _snapshot_history(local_runtime: Any, days: int = 60) -> None:
    """Replay the portfolio schedule over the last `days` trading days of the sample data, so the
    equity curve has points (each snapshot values today's positions at that day's close)."""
    from tradeloop_local.scheduler import scheduled_event

    day, written = LAST_BAR, 0
    while written < days:
        if day.weekday() < 5:
            local_runtime.pools["portfolio"].invoke(scheduled_event(day))
            written += 1
        day -= timedelta(days=1)


def _demo_book(api: str) -> None:
    """A small book: four buys at the latest close, one partial sell, one rejection."""
    for symbol, qty in (("AAPL", 40), ("MSFT", 300), ("IBM", 60), ("GOOG", 12)):
        r = post_order(api, order_body(symbol, "BUY", qty))
        assert r.status_code == 201 and r.json()["status"] == "FILLED", r.text
    r = post_order(api, order_body("MSFT", "SELL", 100))
    assert r.json()["status"] == "FILLED", r.text
    r = post_order(api, order_body("IBM", "SELL", 500))  # more than held: stored as REJECTED with its reason
    assert r.json()["status"] == "REJECTED", r.text


def _demo_signals(aws_env: dict[str, Any], days: int = 40) -> None:
    """Signal rows as the signal service writes them (docs/architecture.md, signals table)."""
    rng = random.Random(7)
    table = aws_env["session"].resource("dynamodb").Table(aws_env["stack"]["TRADELOOP_SIGNALS_TABLE"])
    for symbol in ("AAPL", "GOOG", "IBM", "MSFT"):
        p, weight = 0.5, Decimal(0)
        days_back = [LAST_BAR - timedelta(days=n) for n in range(days * 2)]
        trading_days = sorted(d for d in days_back if d.weekday() < 5)[-days:]
        for day in trading_days:  # oldest first: a mean-reverting walk around 0.5
            p = min(0.95, max(0.05, 0.5 + 0.85 * (p - 0.5) + rng.gauss(0, 0.05)))
            weight = Decimal("0.25") if p > 0.55 else (Decimal(0) if p < 0.45 else weight)
            stamp = day.isoformat().replace("+00:00", "Z")
            table.put_item(
                Item={
                    "symbol": symbol,
                    "as_of": stamp,
                    "signal_id": f"{symbol}-{day:%Y%m%d}",
                    "probability": Decimal(str(round(p, 4))),
                    "target_weight": weight,
                    "model_version": MODEL_VERSION,
                    "action": "TARGET",
                    "created_at": stamp,
                }
            )


def _demo_model(aws_env: dict[str, Any]) -> None:
    """A manifest and LATEST in the models bucket, in the shape ml/pipeline.py publishes."""
    s3 = aws_env["session"].client("s3")
    bucket = aws_env["stack"]["TRADELOOP_MODELS_BUCKET"]
    m = {"auc": 0.531, "total_return": 0.412, "cagr": 0.061, "sharpe": 0.58, "max_drawdown": -0.187, "hit_rate": 0.524}
    manifest = {
        "name": "tradeloop",
        "version": MODEL_VERSION,
        "created_at": "2026-11-23T09:00:00Z",
        "model": {"kind": "mlp", "framework": "keras/tensorflow"},
        "features": {"names": ["ret_1", "ret_5", "ret_20", "vol_20", "rsi_14", "z_close_20"]},
        "lookback": 60,
        "label": {"definition": "y[t] = 1 if open[t+2]/open[t+1] - 1 > dead_zone"},
        "training_data": {"first_date": "2000-03-01", "last_date": "2013-03-01", "symbols": ["AAPL", "GOOG", "IBM"]},
        "onnx_parity": {"max_abs_diff": 1.19e-07, "rows": 512},
        "walk_forward": {"overall": m},
        "baselines": {
            "logistic": {**m, "auc": 0.512, "total_return": 0.198, "cagr": 0.031, "sharpe": 0.33},
            "buy_and_hold": {"total_return": 0.633, "cagr": 0.085, "sharpe": 0.41, "max_drawdown": -0.52},
        },
        "gate": {"metric": "auc", "candidate": 0.531, "logistic": 0.512, "passed": True},
        "code_version": "dev",
    }
    s3.put_object(Bucket=bucket, Key=f"models/tradeloop/{MODEL_VERSION}/manifest.json", Body=json.dumps(manifest))
    pointer = {"name": "tradeloop", "version": MODEL_VERSION, "promoted_at": "2026-11-23T09:00:00Z", "history": []}
    s3.put_object(Bucket=bucket, Key="models/tradeloop/LATEST", Body=json.dumps(pointer))


def _remove_demo_model_and_signals(aws_env: dict[str, Any]) -> None:
    s3 = aws_env["session"].client("s3")
    bucket = aws_env["stack"]["TRADELOOP_MODELS_BUCKET"]
    for key in ("models/tradeloop/LATEST", f"models/tradeloop/{MODEL_VERSION}/manifest.json"):
        s3.delete_object(Bucket=bucket, Key=key)
    _wipe(aws_env["session"], aws_env["stack"]["TRADELOOP_SIGNALS_TABLE"], ["symbol", "as_of"])


def test_every_page_loads_without_console_errors_and_is_screenshotted(
    driver: Any,
    dashboard_url: str,
    local_api: str,
    local_runtime: Any,
    aws_env: dict[str, Any],
    fresh_account: Any,
    screenshots: Any,
) -> None:
    # Given a book with positions, a realized gain, a rejection, an equity history, signals and a live model
    _demo_book(local_api)
    _snapshot_history(local_runtime)
    _demo_signals(aws_env)
    _demo_model(aws_env)
    try:
        driver.get_log("browser")  # drop anything logged before
        # When each page is opened
        for name in PAGES:
            seconds = open_page(driver, dashboard_url, name)
            if name == "signals":
                wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#signals-history .js-plotly-plot"), 30)
            # Then it renders its data without a console error, and is captured
            assert not severe_console_entries(driver), (name, severe_console_entries(driver))
            text = page_text(driver)
            assert "Traceback" not in text
            if name == "model":
                assert MODEL_VERSION in text and "Walk-forward metrics vs baselines" in text, text
            if name == "signals":
                assert "No signals yet" not in text and MODEL_VERSION in text, text
            full_page_screenshot(driver, screenshots / f"{name}.png")
            print(f"{name}: loaded in {seconds:.2f} s")
    finally:
        _remove_demo_model_and_signals(aws_env)
    # The README's picture, refreshed on demand only (`make screenshots`): a run does not dirty the tree
    publish_doc_image(screenshots / "overview.png")


def test_overview_shows_money_kpis(driver: Any, dashboard_url: str, local_api: str, fresh_account: Any) -> None:
    # Given one filled order
    post_order(local_api, order_body("AAPL", "BUY", 10))
    portfolio = requests.get(f"{local_api}/portfolio", timeout=30).json()
    # When the overview opens
    open_page(driver, dashboard_url, "overview")
    # Then the KPIs show equity and P&L as money
    assert text_of(driver, "#kpi-equity") == f"${portfolio['equity']:,.2f}"
    assert text_of(driver, "#kpi-total-pnl").startswith(("+$", "-$", "$0.00"))
    assert "Empty account" not in page_text(driver)


def test_manual_order_shows_in_blotter_and_positions(driver: Any, dashboard_url: str, fresh_account: Any) -> None:
    # Given the controls page
    open_page(driver, dashboard_url, "controls")
    # When a ticket is sent: buy 7 GOOG
    outcome = submit_ticket(driver, "GOOG", "BUY", 7)
    # Then it fills, and names its fresh client order id
    assert outcome.startswith("FILLED: Bought 7 GOOG at $"), outcome
    client_order_id = outcome.split("client order id ")[1].strip()
    assert client_order_id.startswith("dash-")
    # And the blotter lists it
    open_page(driver, dashboard_url, "orders")
    rows = table_rows(driver, "orders-table")
    key_col = column_index(driver, "orders-table", "client_order_id")
    status_col = column_index(driver, "orders-table", "status")
    mine = [r for r in rows if r[key_col] == client_order_id]
    assert len(mine) == 1 and mine[0][status_col] == "FILLED", rows
    # And the positions page holds 7 GOOG
    open_page(driver, dashboard_url, "positions")
    rows = table_rows(driver, "positions-table")
    sym, qty = column_index(driver, "positions-table", "symbol"), column_index(driver, "positions-table", "quantity")
    assert [(r[sym], r[qty]) for r in rows] == [("GOOG", "7")], rows


def test_ticket_validation_sends_nothing(driver: Any, dashboard_url: str, local_api: str, fresh_account: Any) -> None:
    # Given the controls page
    open_page(driver, dashboard_url, "controls")
    # When the ticket has a zero quantity and a lower-case bad symbol
    outcome = submit_ticket(driver, "aa pl", "BUY", 0)
    # Then it says what to fix, flags the fields, and no order exists
    assert outcome.startswith("Fix the ticket"), outcome
    assert "symbol" in outcome and "quantity" in outcome
    assert "is-invalid" in driver.find_element(By.ID, "ticket-quantity").get_attribute("class")
    assert requests.get(f"{local_api}/orders", timeout=30).json()["orders"] == []


def test_kill_switch_halted_rejects_next_manual_order(
    driver: Any, dashboard_url: str, local_api: str, fresh_account: Any, screenshots: Any
) -> None:
    try:
        # Given the controls page with trading ACTIVE
        open_page(driver, dashboard_url, "controls")
        wait_text(driver, "#controls-state-badge", "ACTIVE")
        # When the kill switch is set to HALTED through the confirmation dialog
        set_trading_state(driver, "Halted", "HALTED", screenshot=screenshots / "controls-confirm.png")
        assert requests.get(f"{local_api}/controls", timeout=30).json()["trading_state"] == "HALTED"
        # And a manual order is sent
        outcome = submit_ticket(driver, "AAPL", "BUY", 5)
        # Then it is rejected, with the reason
        assert outcome.startswith("REJECTED: BUY 5 AAPL"), outcome
        client_order_id = outcome.split("client order id ")[1].strip()
        # And the blotter shows it as REJECTED with its reason
        open_page(driver, dashboard_url, "orders")
        rows = table_rows(driver, "orders-table")
        key, status, reason = (column_index(driver, "orders-table", c) for c in ("client_order_id", "status", "reason"))
        mine = [r for r in rows if r[key] == client_order_id]
        assert len(mine) == 1 and mine[0][status] == "REJECTED", rows
        assert "trading is HALTED by the kill switch" in mine[0][reason], mine[0]
        # And the navbar shows HALTED on every page
        wait_text(driver, "#nav-status", "HALTED")
        # Finally the kill switch goes back to ACTIVE through the UI: not without a reason
        open_page(driver, dashboard_url, "controls")
        set_trading_state(driver, "Active", "ACTIVE", reason=None, expect="resuming from HALTED needs a reason")
        assert requests.get(f"{local_api}/controls", timeout=30).json()["trading_state"] == "HALTED"
        set_trading_state(driver, "Active", "ACTIVE", reason="checked the book")
        assert requests.get(f"{local_api}/controls", timeout=30).json()["trading_state"] == "ACTIVE"
        # And the history on the page names both changes, newest first, with their reasons
        wait_text(driver, "#controls-history", "checked the book")
        assert "e2e" in text_of(driver, "#controls-history")
    finally:
        set_controls(local_api, trading_state="ACTIVE")


def test_empty_account_and_no_model_show_hints(driver: Any, dashboard_url: str, fresh_account: Any) -> None:
    # Given a fresh account and no published model
    expected = {
        "overview": "Empty account",
        "positions": "No open positions",
        "orders": "No orders yet",
        "signals": "make train-and-publish",
        "model": "make train-and-publish",
    }
    for name, hint in expected.items():
        # When the page opens
        open_page(driver, dashboard_url, name)
        # Then it shows its hint, and no error
        wait_for(driver, lambda d, h=hint: h in page_text(d), 30, f"{name}: no {hint!r}")
        assert not severe_console_entries(driver), name


def test_api_down_shows_what_to_run(driver: Any, start_dashboard: Any) -> None:
    # Given a dashboard whose API is not running
    from tradeloop_local.embedded import free_port

    dash = start_dashboard(f"http://127.0.0.1:{free_port()}")
    for name in ("overview", "orders", "controls"):
        # When a page opens
        open_page(driver, dash.url, name)
        # Then it says the API is not reachable and what to run, without a stack trace
        wait_for(driver, lambda d: "make up" in page_text(d), 30, f"{name}: no hint")
        text = page_text(driver)
        assert "is not reachable" in text and "Traceback" not in text
        assert "API down" in text_of(driver, "#nav-status")
    driver.get_log("browser")


def test_login_required_when_configured(start_dashboard: Any, local_api: str) -> None:
    # Given a dashboard with a password
    dash = start_dashboard(local_api, TRADELOOP_DASHBOARD_USER="ops", TRADELOOP_DASHBOARD_PASSWORD="s3cret-pass")
    # Then pages need it, /healthz does not
    assert requests.get(dash.url + "/", timeout=10).status_code == 401
    assert requests.get(dash.url + "/", auth=("ops", "wrong"), timeout=10).status_code == 401
    assert requests.get(dash.url + "/", auth=("ops", "s3cret-pass"), timeout=10).status_code == 200
    assert requests.get(dash.url + "/_dash-layout", auth=("ops", "s3cret-pass"), timeout=10).status_code == 200
    assert requests.get(dash.url + "/healthz", timeout=10).json() == {"status": "ok"}


def test_orders_filter_by_status_and_symbol(
    driver: Any, dashboard_url: str, local_api: str, fresh_account: Any
) -> None:
    # Given filled and rejected orders in two symbols
    for body in (order_body("AAPL", "BUY", 3), order_body("IBM", "BUY", 2), order_body("IBM", "SELL", 999)):
        post_order(local_api, body)
    open_page(driver, dashboard_url, "orders")
    wait_text(driver, "#orders-counts", "3 orders shown")
    # When the status filter is set to REJECTED
    choose(driver, "orders-status", "Rejected")
    # Then only the rejection is listed, with its reason
    wait_text(driver, "#orders-counts", "1 order shown")
    status, reason = column_index(driver, "orders-table", "status"), column_index(driver, "orders-table", "reason")
    rows = table_rows(driver, "orders-table")
    assert [r[status] for r in rows] == ["REJECTED"] and "insufficient position" in rows[0][reason], rows
    # When the status filter is cleared and the symbol filter set to AAPL
    driver.get(dashboard_url + "/orders")
    wait_text(driver, "#orders-counts", "3 orders shown")
    choose(driver, "orders-symbol", "AAPL")
    # Then only AAPL is listed
    wait_text(driver, "#orders-counts", "1 order shown")
    symbol = column_index(driver, "orders-table", "symbol")
    assert [r[symbol] for r in table_rows(driver, "orders-table")] == ["AAPL"]
    assert not severe_console_entries(driver)


def test_run_signals_now_without_a_live_model_writes_holds_that_name_the_missing_pointer(
    driver: Any, dashboard_url: str, local_api: str, aws_env: dict[str, Any], fresh_account: Any
) -> None:
    # Given no live model: the registry's LATEST pointer is absent (whatever another test published)
    s3 = aws_env["session"].client("s3")
    model_name = aws_env["info"].environment.get("TRADELOOP_MODEL_NAME", "tradeloop")
    s3.delete_object(Bucket=aws_env["stack"]["TRADELOOP_MODELS_BUCKET"], Key=latest_key(model_name))
    open_page(driver, dashboard_url, "controls")
    # When "Run signals now" is pressed
    click(driver, By.ID, "controls-run-signals")
    # Then the run is done and says how many signals it wrote; never a stack trace
    wait_for(driver, lambda d: text_of(d, "#controls-run-signals-result").strip(), 90, "no answer")
    text = text_of(driver, "#controls-run-signals-result")
    written = re.fullmatch(r"Done: (\d+) signals written\. See the Signals page\.", text.strip())
    assert written and int(written.group(1)) > 0, text
    assert "Traceback" not in page_text(driver) and not severe_console_entries(driver)
    # And each of those signals HOLDs, naming the pointer that is missing
    signals = requests.get(f"{local_api}/signals", timeout=30).json()["signals"]
    assert len(signals) == int(written.group(1)), signals
    for signal in signals:
        assert signal["action"] == "HOLD" and signal["model_version"] == "none", signal
        assert f"no live model: {latest_key(model_name)} does not exist" in signal["reason"], signal


def test_risk_limits_edit_applies_to_the_next_order(
    driver: Any, dashboard_url: str, local_api: str, fresh_account: Any
) -> None:
    # Given the controls page with the default limits loaded
    open_page(driver, dashboard_url, "controls")
    wait_for(driver, lambda d: d.find_element(By.ID, "controls-limits-save").is_enabled(), 45, "form never loaded")
    # When max order notional is set to $1,000 and saved
    fill(driver, "controls-limit-max_order_notional", 1000)
    click(driver, By.ID, "controls-limits-save")
    wait_text(driver, "#controls-limits-result", "Saved: max order $1,000.00")
    assert requests.get(f"{local_api}/controls", timeout=30).json()["limits"]["max_order_notional"] == 1000
    # Then an order above it is rejected with the limit as its reason
    outcome = submit_ticket(driver, "AAPL", "BUY", 10)
    assert outcome.startswith("REJECTED: BUY 10 AAPL") and "notional" in outcome.lower(), outcome
