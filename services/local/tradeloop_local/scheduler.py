"""The local stand-in for the EventBridge schedule: emits the scheduled event to signal and portfolio."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime
from typing import Any

from tradeloop_common.events import PIPELINE_SOURCE, SESSION_OPEN_KNOWN
from tradeloop_common.observability import logger
from tradeloop_local.lambda_pool import FunctionError, LambdaPool

SCHEDULED_TARGETS = ("signal", "portfolio")


def scheduled_event(as_of: datetime | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/tradeloop-market-close"],
        "detail": {},
    }
    if as_of is not None:  # replay: the decision time the run should act as of
        event["detail"]["as_of"] = as_of.isoformat()
    return event


def session_open_event(session: date) -> dict[str, Any]:
    """The pipeline's event once a session's bars are in: the order service fills that open."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": SESSION_OPEN_KNOWN,
        "source": PIPELINE_SOURCE,
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {"session": session.isoformat()},
    }


class Scheduler:
    def __init__(self, pools: dict[str, LambdaPool], interval_seconds: float) -> None:
        self._pools = pools
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)

    def fire(self, as_of: datetime | None = None) -> dict[str, Any]:
        results: dict[str, Any] = {}
        event = scheduled_event(as_of)
        for target in SCHEDULED_TARGETS:
            pool = self._pools.get(target)
            if pool is None:
                continue
            try:
                results[target] = pool.invoke(event, timeout=120)
            except FunctionError as exc:
                logger.error("scheduled run failed", extra={"target": target, "error": str(exc)})
                results[target] = {"error": str(exc)}
        return results

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.fire()

    def start(self) -> Scheduler:
        if self._interval > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
