"""The local stand-in for EventBridge Scheduler: runs the daily pipeline (tradeloop_local.pipeline)
at the schedule's times -- ``minutes_after_close`` after the regular close, Monday to Friday in the
exchange's time zone (tradeloop_common.schedule, the facts Terraform reads too) -- so it follows
daylight saving time; the first step skips holidays itself.

``scheduled_event`` is the EventBridge-shaped event replay and the tests deliver directly."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from tradeloop_common.clock import iso
from tradeloop_common.observability import logger
from tradeloop_common.pipeline import delivered, done_entry, step_of
from tradeloop_common.schedule import get_schedule
from tradeloop_common.valuation import close_of
from tradeloop_local.lambda_pool import LambdaPool
from tradeloop_local.poller import QueuePoller


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


def bars_ingested_event(session: date) -> dict[str, Any]:
    """The ingest step's done event for a session whose bars are already in (replay, tests), as
    EventBridge delivers it: it starts the fill step (the order service fills that open)."""
    detail = {"session": session.isoformat(), "as_of": iso(close_of(session))}
    return delivered(done_entry(step_of("ingest"), detail))


class Scheduler:
    """``check_seconds`` > 0: wake that often and run the pipeline when a firing time has passed
    (0: off; `make pipeline` and the tests run it on demand)."""

    def __init__(
        self,
        pools: dict[str, LambdaPool],
        check_seconds: float,
        poller: QueuePoller | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pools = pools
        self._interval = check_seconds
        self._poller = poller
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self.next_fire = get_schedule().next_fire(clock())

    def fire(self, at: datetime) -> Any:
        """What EventBridge Scheduler does at ``at``: start the pipeline's first step."""
        from tradeloop_local.pipeline import run_pipeline

        try:
            return run_pipeline(self._pools, fired_at=at, poller=self._poller, log=lambda m: logger.info(m))
        except Exception as exc:  # noqa: BLE001 - a failed run must not stop the schedule
            logger.error("scheduled pipeline failed", extra={"fired_at": at.isoformat(), "error": str(exc)})
            return None

    def due(self) -> datetime | None:
        """The firing time that has passed, if any (and the next one is then scheduled)."""
        now = self._clock()
        if now < self.next_fire:
            return None
        fired, self.next_fire = self.next_fire, get_schedule().next_fire(now)
        return fired

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            fired = self.due()
            if fired is not None:
                self.fire(fired)

    def start(self) -> Scheduler:
        if self._interval > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
