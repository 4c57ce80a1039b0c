"""Risk that acts by itself, in the browser: the Model page shows the live model's feature drift
(table and chart) and its decay verdict, written by the real signal function over a month of
sessions; the Controls page shows the limits (loss limits included) and the history of every change.
Both are screenshotted (`make screenshots` copies them into docs/img)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By
from signal_fixtures import (
    SYMBOLS,
    drain_queue,
    monitoring,
    publish_logistic_model,
    set_latest,
    stack_bars,
    wipe_signals,
)

from tests.e2e.conftest import publish_doc_image
from tests.e2e.pages import (
    column_index,
    full_page_screenshot,
    open_page,
    page_text,
    severe_console_entries,
    table_rows,
    wait_for,
    wait_text,
)
from tests.utils import order_body, post_order, set_controls
from tradeloop_common.pipeline import delivered, done_entry, step_of
from tradeloop_common.valuation import close_of
from tradeloop_local.scheduler import scheduled_event

pytestmark = pytest.mark.browser

VERSION = "v-drift-e2e"
SESSIONS = 30  # the decay window below is 20 sessions: a verdict once 20 of them have outcomes
LAST_SESSION = date(2013, 2, 15)  # the embedded stack's bars end there
LOSS_LIMITS = ("max_daily_loss", "max_drawdown")
# A promise this logistic model cannot keep (it hits about half its calls): the page must say decay.
PROMISE = {
    "window_sessions": 20,
    "level": 0.95,
    "tie": 1e-9,
    "hit_rate": {"definition": "direction right", "promised": 0.70, "interval": [0.65, 0.75]},
}


def _decide_each_session(local_runtime: Any, sessions: list[date]) -> list[dict[str, Any]]:
    """The signal function's scheduled run at each close, oldest first (as the schedule fires it)."""
    return [local_runtime.pools["signal"].invoke(scheduled_event(close_of(d)), timeout=120) for d in sessions]


def test_model_page_shows_feature_drift_and_model_decay(
    driver: Any,
    dashboard_url: str,
    local_api: str,
    local_runtime: Any,
    aws_env: dict[str, Any],
    fresh_account: Any,
    screenshots: Any,
) -> None:
    # Given a live model whose drift reference sees live ret_1 one training sd higher, and a promise
    bars = {s: stack_bars(aws_env, s) for s in SYMBOLS}
    publish_logistic_model(
        aws_env, VERSION, SYMBOLS, monitored=monitoring(bars, shift_sd={"ret_1": 1.0}, decay=PROMISE)
    )
    sessions = [d for d in bars["IBM"].dates if d <= LAST_SESSION][-SESSIONS:]
    # And the kill switch HALTED, so the month of decisions sends no order
    set_controls(local_api, trading_state="HALTED", reason="e2e: decisions only")
    try:
        # When the signal function decides each close of the month
        reports = _decide_each_session(local_runtime, sessions)
        assert all(r["health"]["drift"]["level"] == "HALT" for r in reports)
        assert reports[-1]["health"]["decay"]["status"] == "DECAYED", reports[-1]["health"]["decay"]
        # And the Model page opens
        driver.get_log("browser")
        open_page(driver, dashboard_url, "model")
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#model-drift-chart .js-plotly-plot"), 45, "chart")
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#model-decay-chart .js-plotly-plot"), 45, "chart")
        # Then the decay banner says the live hit rate left the promised interval
        banner = wait_text(driver, "#model-decay", "Model decay: DECAYED")
        assert "live hit rate" in banner and "below the walk-forward's 95% interval [0.6500, 0.7500]" in banner
        # And the drift table lists ret_1 first, at HALT, beyond its envelope
        assert wait_text(driver, "#model-drift-level", "HALT")
        rows = table_rows(driver, "model-drift-table")
        name, level = (
            column_index(driver, "model-drift-table", "name"),
            column_index(driver, "model-drift-table", "level"),
        )
        assert rows[0][name] == "ret_1" and rows[0][level] == "HALT", rows
        assert len(rows) == 15 and sum(r[level] == "HALT" for r in rows) == 1
        text = page_text(driver)
        assert "feature drift: ret_1 PSI" in text and "Traceback" not in text
        assert not severe_console_entries(driver), severe_console_entries(driver)
        full_page_screenshot(driver, screenshots / "model.png")
        publish_doc_image(screenshots / "model.png")
    finally:
        set_controls(local_api, trading_state="ACTIVE", reason="e2e: done")
        drain_queue(local_runtime)
        set_latest(aws_env, None)
        wipe_signals(aws_env)


def _fill_step(local_runtime: Any, session: date) -> dict[str, Any]:
    """The daily pipeline's fill step for ``session`` (fills at its open, snapshot and loss limits at its close)."""
    event = delivered(done_entry(step_of("ingest"), {"session": session.isoformat()}))
    return dict(local_runtime.pools["order"].invoke(event, timeout=120))


def test_controls_page_shows_the_limits_and_the_history_of_changes(
    driver: Any, dashboard_url: str, local_api: str, local_runtime: Any, fresh_account: Any, screenshots: Any
) -> None:
    # Given a person tightened the loss limits (a daily loss of 1 basis point stops buying)
    set_controls(local_api, limits={"max_daily_loss": 0.0001, "max_drawdown": 0.15}, reason="tighter after review")
    # And the close of 2013-02-14 was snapshotted, then a buy paid its slippage and commission
    _fill_step(local_runtime, date(2013, 2, 14))
    assert post_order(local_api, order_body("AAPL", "BUY", 100)).json()["status"] == "FILLED"
    # When the next close's loss check runs, the rule sets REDUCE_ONLY by itself; a person resumes
    _fill_step(local_runtime, LAST_SESSION)
    assert requests.get(f"{local_api}/controls", timeout=30).json()["trading_state"] == "REDUCE_ONLY"
    set_controls(local_api, trading_state="ACTIVE", reason="reviewed: the costs of one buy, not a loss")
    # And the Controls page opens
    driver.get_log("browser")
    open_page(driver, dashboard_url, "controls")
    wait_for(driver, lambda d: d.find_element(By.ID, "controls-limits-save").is_enabled(), 45, "form never loaded")
    # Then the limits form holds the loss limits as stored
    limit = {k: driver.find_element(By.ID, f"controls-limit-{k}").get_attribute("value") for k in LOSS_LIMITS}
    assert float(limit["max_daily_loss"]) == pytest.approx(0.0001) and float(limit["max_drawdown"]) == 0.15
    # And the history lists every change, newest first: who (a person, or the rule), the state, the limits, why
    wait_for(driver, lambda d: len(table_rows(d, "controls-history-table")) == 3, 45, "history rows")
    rows = table_rows(driver, "controls-history-table")
    col = {c: column_index(driver, "controls-history-table", c) for c in ("actor", "state", "limits", "reason")}
    assert [r[col["actor"]] for r in rows] == ["person:api", "rule:max_daily_loss", "person:api"], rows
    assert [r[col["state"]] for r in rows] == ["REDUCE_ONLY -> ACTIVE", "ACTIVE -> REDUCE_ONLY", "ACTIVE"]
    assert rows[1][col["reason"]].startswith(f"at the close of {LAST_SESSION}: the day's loss")
    assert (
        "max_daily_loss 0.05 -> 0.0001" in rows[2][col["limits"]]
        and "max_drawdown 0.25 -> 0.15" in rows[2][col["limits"]]
    )
    assert not severe_console_entries(driver)
    full_page_screenshot(driver, screenshots / "controls.png")
    publish_doc_image(screenshots / "controls.png")
