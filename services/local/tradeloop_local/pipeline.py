"""The daily pipeline, locally: the ordered steps of tradeloop_common.pipeline (ingest -> fill ->
signal), each run as its function (its role, its environment) and started by the previous step's
done event exactly as EventBridge delivers it in AWS; a step that fails, or skips (a holiday),
stops the run. Then the intents the signal step sent are handed to the order function (the event
source mapping's job).

Used by the local scheduler (at the schedule's times) and by
``python -m tradeloop_local pipeline --session YYYY-MM-DD`` (`make pipeline SESSION=...`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tradeloop_common.pipeline import delivered, steps
from tradeloop_common.schedule import get_schedule
from tradeloop_local.lambda_pool import FunctionError, LambdaPool
from tradeloop_local.poller import QueuePoller

Log = Callable[[str], object]


@dataclass
class StepRun:
    name: str
    service: str
    seconds: float
    result: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class PipelineRun:
    session: str | None
    steps: list[StepRun] = field(default_factory=list)
    stopped: str | None = None  # why the run ended before the last step
    intents_handed: int = 0

    @property
    def completed(self) -> bool:
        return self.stopped is None

    def result(self, name: str) -> dict[str, Any]:
        return next(s.result or {} for s in self.steps if s.name == name)


def first_event(session: date | None = None, fired_at: datetime | None = None) -> dict[str, Any]:
    """What the schedule delivers to the first step: its firing time (and, on demand, the session)."""
    at = fired_at or get_schedule().fire_time(session or datetime.now(UTC).date())
    return {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "detail": {"session": session.isoformat()} if session else {},
    }


def run_pipeline(
    pools: dict[str, LambdaPool],
    session: date | None = None,
    fired_at: datetime | None = None,
    poller: QueuePoller | None = None,
    log: Log = print,
    timeout: float = 300,
    until: str | None = None,
) -> PipelineRun:
    """``until``: stop after that step (e.g. ``ingest`` to backfill bars without deciding)."""
    event = first_event(session, fired_at)
    run = PipelineRun(session.isoformat() if session else None)
    for step in steps():
        pool = pools.get(step.service)
        if pool is None:
            run.stopped = f"{step.name}: the {step.service} service is not available here"
            break
        started = time.perf_counter()
        try:
            result = pool.invoke(event, timeout=timeout)
        except FunctionError as exc:
            run.steps.append(StepRun(step.name, step.service, time.perf_counter() - started, error=str(exc)))
            run.stopped = f"{step.name} failed: {exc}"
            log(f"[pipeline] {step.name} ({step.service}) FAILED: {exc}; the later steps do not run")
            break
        run.steps.append(StepRun(step.name, step.service, time.perf_counter() - started, result))
        if result.get("skipped"):
            run.stopped = f"{step.name} skipped: {result['skipped']}"
            log(f"[pipeline] {step.name}: nothing to do ({result['skipped']})")
            break
        run.session = run.session or result.get("session") or (result.get("announced") or {}).get("session")
        log(f"[pipeline] {step.name} ({step.service}) done in {time.perf_counter() - started:.1f}s")
        announced = result.get("announced")
        if until == step.name:
            break
        if not announced:
            run.stopped = f"{step.name} announced nothing"
            break
        event = delivered(announced)
    if run.completed and poller is not None:
        run.intents_handed = _drain(poller)
    return run


def _drain(poller: QueuePoller, rounds: int = 200) -> int:
    handed = 0
    for _ in range(rounds):
        n = poller.poll_once(wait_seconds=0)
        if n == 0:
            break
        handed += n
    return handed


def print_run(run: PipelineRun, log: Log = print) -> None:
    """The must-see of a run: bars appended, the quality report, the signals."""
    from tradeloop_common.quality import summary_lines

    if not run.steps:
        return
    ingest = run.steps[0].result or {}
    if ingest.get("rerun"):
        log(f"[ingest] session {ingest['session']}: already ingested, nothing new fetched; nothing written")
    elif ingest.get("symbols") is not None:
        log(
            f"[ingest] session {ingest['session']} from {ingest['provider']}: {ingest['appended']} bar(s) appended, "
            f"{ingest['corrections']} restated, universe {', '.join(ingest['universe']['symbols']) or 'empty'} "
            f"({ingest['universe']['source']}); complete: {ingest['complete']}"
            + (f", missing {', '.join(ingest['missing'])}" if ingest["missing"] else "")
        )
        for sym in ingest["symbols"]:
            if sym.get("appended"):
                log(f"[ingest]   {sym['symbol']}: +{', '.join(sym['appended'])}")
        for line in summary_lines(ingest):
            log(line)
    signal = next((s.result for s in run.steps if s.name == "signal" and s.result), None)
    if signal:
        log(
            f"[signal] as of {signal['as_of']}, model {signal['model_version']}: {len(signal['signals'])} signal(s), "
            f"{len(signal['intents'])} intent(s), {signal['holds']} HOLD"
        )
        for s in signal["signals"]:
            what = (
                f"p(up) {s['probability']:.4f} -> target {s['target_weight']}"
                if s.get("probability") is not None
                else (f"HOLD {s['target_weight']}: {s.get('reason')}")
            )
            log(f"[signal]   {s['symbol']:5s} {what}")
    log(
        f"[pipeline] {'completed' if run.completed else 'stopped: ' + str(run.stopped)}"
        + (f"; {run.intents_handed} intent(s) handed to the order function" if run.intents_handed else "")
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m tradeloop_local pipeline --session YYYY-MM-DD` against the running local stack."""
    import argparse
    import os

    from tradeloop_local.embedded import StackError, read_stack, use_admin
    from tradeloop_local.runtime import LocalRuntime

    parser = argparse.ArgumentParser(prog="tradeloop pipeline", description=__doc__)
    parser.add_argument("--session", type=date.fromisoformat, help="the session, YYYY-MM-DD (default: today's)")
    parser.add_argument("--at", help="act as the schedule firing at this ISO time instead (e.g. a holiday)")
    parser.add_argument(
        "--until", choices=[s.name for s in steps()], help="stop after this step (--until ingest: backfill bars only)"
    )
    args = parser.parse_args(argv)
    try:
        info = read_stack()
    except StackError as exc:
        print(exc)
        return 2
    use_admin(info.endpoint_url)
    os.environ.update(info.environment)
    # The report below says what each step did (HOLD reasons included); the handlers' JSON logs would bury it.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning")
    runtime = LocalRuntime(info=info, poll=False, concurrency=1).start()
    try:
        fired_at = datetime.fromisoformat(args.at.replace("Z", "+00:00")) if args.at else None
        session = args.session if not fired_at else None
        run = run_pipeline(runtime.pools, session=session, fired_at=fired_at, poller=runtime.poller, until=args.until)
        print_run(run)
    finally:
        runtime.stop()
    return 0 if run.completed or (run.stopped or "").startswith("ingest skipped") else 1
