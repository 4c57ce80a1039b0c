"""The daily pipeline is one ordered list (tradeloop_common/pipeline.json, read by Terraform too):
ingest -> fill -> signal, each started by the previous step's done event, which the services
recognise as a pipeline event; the universe has one home."""

from __future__ import annotations

import json

from tradeloop_common.events import EventKind, kind_of
from tradeloop_common.pipeline import SOURCE, delivered, done_entry, step_of, step_started_by, steps
from tradeloop_common.universe import traded_universe


def test_the_steps_run_in_order_each_after_the_previous_ones_done_event() -> None:
    assert [(s.name, s.service) for s in steps()] == [
        ("ingest", "marketdata"),
        ("fill", "order"),
        ("signal", "signal"),
    ]
    assert step_started_by(step_of("ingest").done) == step_of("fill")
    assert step_started_by(step_of("fill").done) == step_of("signal")
    assert step_started_by(step_of("signal").done) is None  # the last step starts nothing


def test_a_done_event_is_delivered_as_a_pipeline_event_with_the_session() -> None:
    entry = done_entry(step_of("ingest"), {"session": "2013-02-19", "as_of": "2013-02-19T21:00:00.000000Z"})
    event = delivered(entry)
    assert event["source"] == SOURCE and event["detail-type"] == "Session Bars Ingested"
    assert event["detail"]["session"] == "2013-02-19" and json.loads(entry["Detail"]) == event["detail"]
    assert kind_of(event) is EventKind.PIPELINE
    # And the schedule's event (EventBridge Scheduler's input) is a scheduled event
    assert kind_of({"detail-type": "Scheduled Event", "source": "aws.scheduler", "time": "x"}) is EventKind.SCHEDULE


def test_the_universe_is_the_models_narrowed_by_settings_never_the_bucket() -> None:
    manifest = {"policy": {"weights": {"AAPL": 0.25, "IBM": 0.25}}}
    assert traded_universe(manifest).symbols == ["AAPL", "IBM"]
    narrowed = traded_universe(manifest, ["IBM", "TSLA"])
    assert narrowed.symbols == ["IBM"] and narrowed.outside == ["TSLA"]
    # A manifest from before the policy had a universe: the symbols it was trained on
    assert traded_universe({"policy": {}, "training_data": {"symbols": ["MSFT"]}}).symbols == ["MSFT"]
    # No live model: only what the settings name
    assert traded_universe(None).symbols == [] and traded_universe(None, ["IBM"]).symbols == ["IBM"]
