"""Each Lambda's single entry point routes by event shape and refuses what it cannot handle."""

from __future__ import annotations

from typing import Any

import pytest

from tradeloop_common.events import EventKind, dispatch, kind_of

HTTP = {"version": "2.0", "requestContext": {"http": {"method": "GET", "path": "/health"}}}
SQS = {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}
SCHEDULE = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
PIPELINE = {"source": "tradeloop.pipeline", "detail-type": "Session Bars Ingested", "detail": {"session": "2013-03-04"}}


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (HTTP, EventKind.HTTP),
        (SQS, EventKind.SQS),
        (SCHEDULE, EventKind.SCHEDULE),
        (PIPELINE, EventKind.PIPELINE),
        ({"foo": 1}, EventKind.UNKNOWN),
    ],
)
def test_kind_of(event: dict[str, Any], kind: EventKind) -> None:
    assert kind_of(event) is kind


def test_dispatch_calls_the_named_handler_and_refuses_other_kinds() -> None:
    handlers = {EventKind.HTTP: "json:dumps"}  # any importable "module:function" taking (event, context)
    with pytest.raises(TypeError):  # json.dumps(event, context) -> called with our two arguments
        dispatch("demo", handlers, HTTP, object())
    with pytest.raises(ValueError, match="demo service cannot handle a sqs event"):
        dispatch("demo", handlers, SQS, None)


@pytest.mark.parametrize(
    ("module", "kinds"),
    [
        ("order_service.main", {EventKind.HTTP, EventKind.SQS, EventKind.PIPELINE}),
        ("portfolio_service.main", {EventKind.HTTP, EventKind.SCHEDULE}),
        ("signal_service.main", {EventKind.HTTP, EventKind.SCHEDULE, EventKind.PIPELINE}),
        ("marketdata_service.main", {EventKind.HTTP, EventKind.SCHEDULE}),
    ],
)
def test_every_service_handler_target_imports(
    module: str, kinds: set[EventKind], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # handlers build their boto3 clients at import

    handlers = importlib.import_module(module).HANDLERS
    assert set(handlers) == kinds
    for target in handlers.values():
        mod, _, fn = target.partition(":")
        assert callable(getattr(importlib.import_module(mod), fn))
