"""The daily pipeline's steps, from their one home (``pipeline.json`` beside this module, read by
Terraform too): ingest -> fill (the orders waiting for the session's open, the snapshot at its close)
-> signal (the signal step sends the intents), each started by
the previous one's *done* event for the same session, so a step never runs on a session whose
previous step failed.

In AWS each step's function puts its done event on the default event bus (source ``SOURCE``,
``detail.session``) and a rule per step invokes the next; locally ``tradeloop_local.pipeline``
delivers the same events in the same order."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Step:
    name: str
    service: str
    done: str  # detail-type of the event it puts when it succeeded


@lru_cache
def _definition() -> dict[str, Any]:
    return dict(json.loads(resources.files("tradeloop_common").joinpath("pipeline.json").read_text()))


SOURCE: str = _definition()["source"]


def steps() -> list[Step]:
    return [Step(s["name"], s["service"], s["done"]) for s in _definition()["steps"]]


def step_started_by(detail_type: str) -> Step | None:
    """The step that an event of ``detail_type`` (the previous step's done event) starts."""
    ordered = steps()
    for previous, step in zip(ordered, ordered[1:], strict=False):
        if previous.done == detail_type:
            return step
    return None


def step_for(event: dict[str, Any], service: str) -> Step:
    """The step ``service`` runs for a pipeline ``event`` (the previous step's done event)."""
    step = step_started_by(str(event.get("detail-type")))
    if step is None or step.service != service:
        raise ValueError(f"the {service} service runs no pipeline step after {event.get('detail-type')!r}")
    return step


def step_of(name: str) -> Step:
    return next(s for s in steps() if s.name == name)


def done_entry(step: Step, detail: dict[str, Any]) -> dict[str, Any]:
    """The PutEvents entry a step puts when it succeeded."""
    return {"Source": SOURCE, "DetailType": step.done, "Detail": json.dumps(detail, sort_keys=True)}


def delivered(entry: dict[str, Any], account: str = "123456789012", region: str = "us-east-1") -> dict[str, Any]:
    """An entry as EventBridge delivers it to a rule's Lambda target (what the next step receives)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": json.loads(entry["Detail"]),
    }
