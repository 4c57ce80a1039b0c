"""Tell which kind of event a Lambda received, so each service has a single entry point."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    HTTP = "http"
    SQS = "sqs"
    SCHEDULE = "schedule"
    UNKNOWN = "unknown"


def kind_of(event: dict[str, Any]) -> EventKind:
    if isinstance(event.get("requestContext"), dict) and "http" in event["requestContext"]:
        return EventKind.HTTP
    records = event.get("Records")
    if isinstance(records, list) and records and records[0].get("eventSource") == "aws:sqs":
        return EventKind.SQS
    if event.get("detail-type") == "Scheduled Event" or event.get("source") == "aws.events":
        return EventKind.SCHEDULE
    return EventKind.UNKNOWN
