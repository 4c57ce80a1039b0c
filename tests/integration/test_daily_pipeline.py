"""The daily pipeline on the embedded stack, each step as its function's role (IAM enforced), against
the local fake provider: ingest -> fill -> signal -> intents for a session, the orders decided at
one close filled at the next session's open (a symbol whose bar is late waits); a rerun changes
nothing; a late provider makes the signal step HOLD with the reason while the freshness metric
fires; a holiday stops the pipeline at its first step; and every grant the market-data step uses
is in its role (a removed one fails with AccessDenied, as in AWS).

The stack's series stop at the seeding cutoff (2013-02-15); the fake serves the sample's sessions
after it (2013-02-19 .. 2013-03-01; 2013-02-18 is Presidents' Day); the tests' sessions run in order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from signal_fixtures import publish_logistic_model, wipe_signals

from tests.conftest import table_count
from tests.utils import loud
from tradeloop_local.pipeline import run_pipeline
from tradeloop_local.seed import seed_bars

SYMBOLS = ("AAPL", "GOOG", "IBM", "MSFT")
VERSION = "v-pipeline"


@pytest.fixture(scope="module")
def pipeline_stack(aws_env: dict[str, Any], local_runtime: Any) -> Iterator[dict[str, Any]]:
    if not aws_env["info"].iam_enforced:
        loud("SKIPPED: IAM enforcement of the pipeline (no roles: Terraform could not run)")
    # The stack is the session's: another module's pipeline run may have appended these sessions.
    seed_bars(SYMBOLS)
    publish_logistic_model(aws_env, VERSION, SYMBOLS)
    wipe_signals(aws_env)
    yield aws_env
    local_runtime.market.withheld.clear()


def _versions(aws_env: dict[str, Any], prefix: str) -> int:
    s3 = aws_env["session"].client("s3")
    page = s3.list_object_versions(Bucket=aws_env["stack"]["TRADELOOP_DATA_BUCKET"], Prefix=prefix)
    return len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))


def _signals_at(aws_env: dict[str, Any], session: date) -> dict[str, dict[str, Any]]:
    ddb = aws_env["session"].client("dynamodb")
    items = ddb.scan(TableName=aws_env["stack"]["TRADELOOP_SIGNALS_TABLE"])["Items"]
    at = f"{session.isoformat()}T21:00:00"
    return {i["symbol"]["S"]: i for i in items if i["as_of"]["S"].startswith(at)}


def test_a_session_runs_ingest_then_fill_then_signal_then_intents(
    pipeline_stack: dict[str, Any], local_runtime: Any, fresh_account: Any
) -> None:
    # Given the stack's bars up to 2013-02-15 and a live model on the four sample symbols
    # When the pipeline runs for 2013-02-19 (the Monday before is a holiday)
    run = run_pipeline(local_runtime.pools, session=date(2013, 2, 19), poller=local_runtime.poller, log=lambda _: None)
    # Then every step ran, in order, as its function
    assert run.completed, run.stopped
    assert [s.name for s in run.steps] == ["ingest", "fill", "signal"]
    ingest = run.result("ingest")
    assert ingest["appended"] == 4 and ingest["complete"] and ingest["universe"]["traded"] == list(SYMBOLS)
    assert all(s["appended"] == ["2013-02-19"] and s["missing_sessions"] == 0 for s in ingest["symbols"])
    # And the quality report is stored beside the data
    s3 = pipeline_stack["session"].client("s3")
    stored = json.loads(
        s3.get_object(Bucket=pipeline_stack["stack"]["TRADELOOP_DATA_BUCKET"], Key="quality/sessions/2013-02-19.json")[
            "Body"
        ].read()
    )
    assert stored["session"] == "2013-02-19" and len(stored["symbols"]) == 4
    # And the snapshot and the signals were taken at the close of the session, on its own bars
    assert run.result("fill")["snapshot"]["as_of"].startswith("2013-02-19T21:00:00")
    signal = run.result("signal")
    assert signal["as_of"].startswith("2013-02-19T21:00:00") and signal["model_version"] == VERSION
    assert {s["symbol"]: s["action"] for s in signal["signals"]} == dict.fromkeys(SYMBOLS, "TARGET")
    # And the intents the signal step sent were handed to the order function
    assert run.intents_handed == len(signal["intents"])


def test_rerunning_a_session_changes_nothing(pipeline_stack: dict[str, Any], local_runtime: Any) -> None:
    session = date(2013, 2, 20)
    first = run_pipeline(local_runtime.pools, session=session, poller=local_runtime.poller, log=lambda _: None)
    assert first.completed and first.result("ingest")["appended"] == 4
    bars, reports = _versions(pipeline_stack, "bars/"), _versions(pipeline_stack, "quality/")
    signals, orders = _signals_at(pipeline_stack, session), table_count(pipeline_stack, "TRADELOOP_ORDERS_TABLE")
    # When the same session runs again
    again = run_pipeline(local_runtime.pools, session=session, poller=local_runtime.poller, log=lambda _: None)
    # Then no bar and no report is written (no new object version), the signals are the same rows
    assert again.completed and again.result("ingest")["rerun"] is True
    assert (_versions(pipeline_stack, "bars/"), _versions(pipeline_stack, "quality/")) == (bars, reports)
    assert _signals_at(pipeline_stack, session) == signals
    # And a resent intent (the signal rows' own) maps to the order it made: no new order
    assert table_count(pipeline_stack, "TRADELOOP_ORDERS_TABLE") == orders


def test_a_late_provider_holds_the_signal_with_the_reason(pipeline_stack: dict[str, Any], local_runtime: Any) -> None:
    session = date(2013, 2, 21)
    # Given the orders decided at 2013-02-20's close (the module's sessions run in order)
    # And a provider that has not published IBM's bar of the session yet
    local_runtime.market.withhold("IBM", date(2013, 2, 20))
    try:
        run = run_pipeline(local_runtime.pools, session=session, poller=local_runtime.poller, log=lambda _: None)
    finally:
        local_runtime.market.withhold("IBM", None)
    # Then the ingest succeeded for the rest and says IBM is missing
    assert run.completed
    ingest = run.result("ingest")
    assert ingest["missing"] == ["IBM"] and not ingest["complete"] and ingest["appended"] == 3
    # And the signal step HOLDs IBM with the reason, and decides the others
    by_symbol = {s["symbol"]: s for s in run.result("signal")["signals"]}
    assert by_symbol["IBM"]["action"] == "HOLD"
    assert by_symbol["IBM"]["reason"].startswith("stale data: the last IBM bar is 2013-02-20, 1 XNYS session(s)")
    assert "daily pipeline, which needs the session's own bar" in by_symbol["IBM"]["reason"]
    assert all(by_symbol[s]["action"] == "TARGET" for s in ("AAPL", "GOOG", "MSFT"))
    # And the fill step filled the orders decided at 2013-02-20's close at this session's open,
    # except IBM's, which waits for an open the provider has published (no fill at a guessed price)
    fills = {o["symbol"]: (o["status"], o["price_source"]) for o in run.result("fill")["orders"]}
    assert fills == {
        **dict.fromkeys(("AAPL", "GOOG", "MSFT"), ("FILLED", "open 2013-02-21")),
        "IBM": ("PENDING", None),
    }


def test_a_late_provider_fires_the_freshness_metric_the_alarm_watches(
    pipeline_stack: dict[str, Any], local_runtime: Any
) -> None:
    # Given the market-data function's environment and role, its metrics on (the pools keep them off)
    env = {**os.environ, **local_runtime.pools["marketdata"]._env}
    env.pop("POWERTOOLS_METRICS_DISABLED", None)
    env["POWERTOOLS_METRICS_NAMESPACE"] = "tradeloop"
    # And a provider serving nothing after 2013-02-21 (a fresh fake, as late as can be)
    code = (
        "import json, sys; from datetime import date; "
        "from tradeloop_local.fake_market import FakeMarket; "
        "m = FakeMarket(withheld=dict.fromkeys(['AAPL', 'GOOG', 'IBM', 'MSFT'], date(2013, 2, 21))).start(); "
        "import os; os.environ['TRADELOOP_MARKETDATA_URL'] = m.url; "
        "from marketdata_service.main import lambda_handler; "
        "from tradeloop_local.lambda_pool import LocalLambdaContext; "
        "r = lambda_handler({'detail-type': 'Scheduled Event', 'source': 'aws.scheduler', "
        "'time': '2013-02-22T21:30:00Z', 'detail': {}}, LocalLambdaContext('tradeloop-marketdata')); "
        "print('RESULT ' + json.dumps(r['missing']))"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # Then the step names every symbol late for 2013-02-22 (found from the scheduled time)
    assert 'RESULT ["AAPL", "GOOG", "IBM", "MSFT"]' in proc.stdout
    # And one EMF record carries SymbolsBehind = 4 in the stack's namespace, dimension service=marketdata:
    # what the stack's market-data-late alarm watches (>= 1)
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{") and '"_aws"' in line]
    (record,) = [r for r in records if "SymbolsBehind" in r]
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "tradeloop" and ["service"] in directive["Dimensions"]
    assert record["service"] == "marketdata" and record["SymbolsBehind"] in (4.0, [4.0])


@pytest.mark.parametrize(
    ("holiday", "fired"),
    [
        (date(2013, 2, 18), datetime(2013, 2, 18, 21, 30, tzinfo=UTC)),  # Presidents' Day, 16:30 EST
        (date(2024, 7, 4), datetime(2024, 7, 4, 20, 30, tzinfo=UTC)),  # Independence Day, 16:30 EDT
    ],
)
def test_a_holiday_stops_the_pipeline_at_its_first_step(
    pipeline_stack: dict[str, Any], local_runtime: Any, holiday: date, fired: datetime
) -> None:
    before = _versions(pipeline_stack, "bars/"), _versions(pipeline_stack, "quality/")
    # When the schedule fires on a holiday (a weekday: the cron fires, there is no session)
    run = run_pipeline(local_runtime.pools, fired_at=fired, poller=local_runtime.poller, log=lambda _: None)
    # Then the ingest step finds no session, writes nothing, and no later step runs
    assert [s.name for s in run.steps] == ["ingest"]
    assert run.stopped == f"ingest skipped: {holiday} is not a XNYS session (or it has not closed yet)"
    assert (_versions(pipeline_stack, "bars/"), _versions(pipeline_stack, "quality/")) == before
    assert _signals_at(pipeline_stack, holiday) == {}


def test_every_alpaca_response_the_pipeline_got_parses_with_alpaca_pys_models(local_runtime: Any) -> None:
    from alpaca.data.models import BarSet

    # Given every body the local fake provider served the market-data function in this module
    assert local_runtime.market.sent, "the pipeline asked the fake provider for bars"
    for body in local_runtime.market.sent:
        # Then each is Alpaca's documented shape, as alpaca-py's own models read it
        assert set(body) == {"bars", "next_page_token"}
        assert all(bar.close > 0 for bars in BarSet(body["bars"]).data.values() for bar in bars)
