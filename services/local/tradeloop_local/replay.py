"""Replay: drive the live loop day by day over a past period, exactly as production runs it.

For each trading day ``d`` (sessions of the exchange calendar between ``start`` and ``end``, up to
the data's last bar):
  1. order: the pipeline's "session open known" event for ``d``: the market-on-open orders decided
     at the previous close fill at the open of ``d``; reconciliation; the snapshot at the close of ``d``;
  2. signal: the scheduled event with ``detail.as_of`` = close of ``d`` (not on the last day);
  3. order: poll the intent queue until it is empty: the rebalance leaves orders PENDING for the
     next session's open.
The final equity is the snapshot at the close of the last day. Nothing here decides anything:
it only delivers events to the same Lambda handlers, in order.

It trades the stack's paper account as it is. Signals and orders are write-once, so replaying
a period a second time on the same stack changes nothing; start from a fresh stack
(`make down && make up`) for a clean run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import boto3

from tradeloop_common.calendar import get_calendar
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.valuation import close_of
from tradeloop_local.lambda_pool import LambdaPool
from tradeloop_local.poller import QueuePoller
from tradeloop_local.scheduler import bars_ingested_event, scheduled_event

Log = Callable[[str], None]


@dataclass(frozen=True)
class ReplayResult:
    days: list[date]
    equity: list[Decimal]
    signals: int
    intents: int
    holds: int
    records: int  # intent records handed to the order function
    seconds: float

    @property
    def final_equity(self) -> Decimal:
        return self.equity[-1]


def trading_days(bars: BarsRepository, start: date, end: date, symbols: list[str] | None = None) -> list[date]:
    """The exchange calendar's sessions within [start, end], up to the last bar of the data (a
    replay cannot go past its data; a session some symbol lacks is still a session)."""
    ends = bars.windows(symbols or bars.symbols(), end, 1)  # the end of each series only
    last = max((b.dates[-1] for b in ends.values() if not isinstance(b, Exception) and len(b)), default=None)
    if last is None:
        return []
    return get_calendar().sessions(start, min(end, last))


def drain(poller: QueuePoller, sqs: Any, queue_url: str, timeout: float = 120) -> int:
    """Hand every queued intent to the order function; return when nothing is queued or in flight
    (another consumer, e.g. a running `make up` stack, may hold some in flight)."""
    handed, deadline = 0, time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = poller.poll_once(wait_seconds=0)
        handed += n
        if n:
            continue
        attrs = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0:
            return handed
        time.sleep(0.05)
    raise TimeoutError(f"the order queue did not drain within {timeout} s")


def replay(
    pools: dict[str, LambdaPool],
    poller: QueuePoller,
    session: boto3.session.Session,
    queue_url: str,
    data_bucket: str,
    start: date,
    end: date,
    log: Log = print,
    decide_last: bool = False,
) -> ReplayResult:
    """decide_last: the last close's signal job runs too, so its orders wait for the next open, as a
    live stack stands at the end of a session (the final equity is the same either way)."""
    t0 = time.perf_counter()
    sqs = session.client("sqs")
    days = trading_days(BarsRepository(data_bucket), start, end)
    if len(days) < 2:
        raise ValueError(f"need at least two trading days between {start} and {end}, found {len(days)}")
    equity: list[Decimal] = []
    signals = intents = holds = records = 0
    log(f"[replay] {len(days)} trading days {days[0]} .. {days[-1]}")
    for i, day in enumerate(days):
        opened = pools["order"].invoke(bars_ingested_event(day), timeout=120)
        equity.append(Decimal(str(opened["snapshot"]["equity"])))
        if i == len(days) - 1 and not decide_last:
            break
        report = pools["signal"].invoke(scheduled_event(close_of(day)), timeout=120)
        signals += len(report["signals"])
        intents += len(report["intents"])
        holds += int(report["holds"])
        records += drain(poller, sqs, queue_url)
        if i % 21 == 0:
            log(
                f"[replay] {day}  equity {equity[-1]:>14,.2f}  model {report['model_version']}  "
                f"intents {len(report['intents'])}  holds {report['holds']}  ({time.perf_counter() - t0:.1f} s)"
            )
    seconds = time.perf_counter() - t0
    log(
        f"[replay] done: {len(days)} days in {seconds:.1f} s; {signals} signals, {intents} intents, "
        f"{holds} holds; final equity {equity[-1]:,.2f} (start {equity[0]:,.2f})"
    )
    return ReplayResult(days, equity, signals, intents, holds, records, seconds)


def main(argv: list[str] | None = None) -> int:
    """`python -m tradeloop_local replay --start ... --end ...` against the running local stack."""
    import argparse
    import os

    from tradeloop_local.embedded import StackError, read_stack, use_admin
    from tradeloop_local.runtime import LocalRuntime

    parser = argparse.ArgumentParser(prog="tradeloop replay", description=__doc__)
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", type=date.fromisoformat, required=True, help="last day, YYYY-MM-DD")
    parser.add_argument(
        "--decide-last-day",
        action="store_true",
        help="also run the last close's signal job: its orders wait for the next open, as on a live stack",
    )
    args = parser.parse_args(argv)
    try:
        info = read_stack()
    except StackError as exc:
        print(f"{exc} (and publish a model: `make train-and-publish`)")
        return 2
    use_admin(info.endpoint_url)
    os.environ.update(info.environment)
    # The progress lines are the report; the handlers' per-call JSON logs and EMF metrics would
    # bury them (set POWERTOOLS_LOG_LEVEL=INFO to see them).
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning")  # "no metrics to publish", per call
    runtime = LocalRuntime(info=info, poll=False).start()
    try:
        assert runtime.poller is not None, "the order service is not available"
        result = replay(
            runtime.pools,
            runtime.poller,
            boto3.session.Session(),
            info.environment["TRADELOOP_ORDER_QUEUE_URL"],
            info.environment["TRADELOOP_DATA_BUCKET"],
            args.start,
            args.end,
            decide_last=args.decide_last_day,
        )
    finally:
        runtime.stop()
    print(f"final equity {result.final_equity}")
    return 0
