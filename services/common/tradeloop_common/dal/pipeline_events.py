"""Announce that a step of the daily pipeline succeeded: one event on the default event bus,
whose rule starts the next step (terraform/modules/stack/pipeline.tf)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from tradeloop_common.dal.aws import client
from tradeloop_common.errors import StoreError
from tradeloop_common.pipeline import Step, done_entry


def announce(step: Step, detail: dict[str, Any]) -> dict[str, Any]:
    """Put the step's done event; return the entry (the local pipeline delivers it to the next step)."""
    entry = done_entry(step, detail)
    try:
        result = client("events").put_events(Entries=[{**entry, "EventBusName": "default"}])
    except ClientError as exc:
        raise StoreError(f"announcing {step.name} failed: {exc}") from exc
    if result.get("FailedEntryCount"):
        raise StoreError(f"announcing {step.name} failed: {result.get('Entries')}")
    return entry
