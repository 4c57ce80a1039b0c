"""The daily pipeline's first step: EventBridge Scheduler fires ``minutes_after_close`` after the
regular close, Monday to Friday in the exchange's time zone (tradeloop_common.schedule); this
handler acts on sessions only (a holiday is skipped, an early close long complete), ingests the
session, emits the freshness metric, and announces success so the next step starts.

``detail.session`` names the session explicitly (the local pipeline, a backfill); otherwise it is
the exchange date of the event's ``time`` (the scheduled time, which a retry repeats)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from marketdata_service.logic.dependencies import get_dependencies
from marketdata_service.logic.ingest_session import ingest_session
from tradeloop_common.clock import parse_as_of
from tradeloop_common.dal.pipeline_events import announce
from tradeloop_common.observability import logger, metrics, tracer
from tradeloop_common.pipeline import step_of
from tradeloop_common.schedule import get_schedule

# The freshness metric: universe symbols without the session's bar after the ingest (0 = complete).
# The stack's alarm (terraform/modules/stack: market-data-late) watches it.
FRESHNESS_METRIC = "SymbolsBehind"


def session_of(event: dict[str, Any]) -> tuple[date | None, str]:
    detail = event.get("detail") or {}
    if detail.get("session"):
        return date.fromisoformat(str(detail["session"])), "detail.session"
    fired = parse_as_of(event.get("time"))
    session = get_schedule().session_at(fired)
    if session is None:
        day = get_schedule().calendar.local_date(fired)
        return None, f"{day} is not a {get_schedule().calendar.exchange} session (or it has not closed yet)"
    return session, "scheduled time"


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    session, why = session_of(event)
    if session is None:
        logger.info("no session to ingest", extra={"reason": why, "time": event.get("time")})
        return {"skipped": why}
    deps = get_dependencies()
    report = ingest_session(session, deps)
    metrics.add_metric(name="SessionIngests", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=FRESHNESS_METRIC, unit=MetricUnit.Count, value=len(report["missing"]))
    metrics.add_metric(name="BarsAppended", unit=MetricUnit.Count, value=report["appended"])
    if report["missing"]:
        logger.warning("session incomplete", extra={"session": report["session"], "missing": report["missing"]})
    detail = {
        "session": report["session"],
        "as_of": report["as_of"],
        "ingest": {"complete": report["complete"], "missing": report["missing"], "provider": report["provider"]},
    }
    report["announced"] = announce(step_of("ingest"), detail)
    return report
