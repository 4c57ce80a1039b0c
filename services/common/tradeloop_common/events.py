"""Tell which kind of event a Lambda received, so each service has a single entry point."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from tradeloop_common.pipeline import SOURCE as PIPELINE_SOURCE


class EventKind(StrEnum):
    HTTP = "http"
    SQS = "sqs"
    SCHEDULE = "schedule"
    PIPELINE = "pipeline"
    UNKNOWN = "unknown"


def kind_of(event: dict[str, Any]) -> EventKind:
    if isinstance(event.get("requestContext"), dict) and "http" in event["requestContext"]:
        return EventKind.HTTP
    records = event.get("Records")
    if isinstance(records, list) and records and records[0].get("eventSource") == "aws:sqs":
        return EventKind.SQS
    if event.get("source") == PIPELINE_SOURCE:  # a step of the daily pipeline finished (tradeloop_common.pipeline)
        return EventKind.PIPELINE
    if event.get("detail-type") == "Scheduled Event" or event.get("source") == "aws.events":
        return EventKind.SCHEDULE
    return EventKind.UNKNOWN


def dispatch(service: str, handlers: Mapping[EventKind, str], event: dict[str, Any], context: Any) -> Any:
    """Call the handler (``"package.module:function"``) for the event's kind.

    Imported on first use, so a cold start loads only the handler the event needs."""
    kind = kind_of(event)
    target = handlers.get(kind)
    if target is None:
        raise ValueError(f"{service} service cannot handle a {kind.value} event")
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)(event, context)
