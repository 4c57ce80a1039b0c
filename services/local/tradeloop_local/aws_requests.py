"""Count the AWS requests this process's service code sends (the scale tests and `make bench`).

Requests are what S3 and SQS bill, and the round trips a Lambda waits for: a count per
``service:Operation`` turns a run into a cost (docs/benchmarks.md). Every HTTP attempt counts,
retries included, as AWS counts them. Only the clients of ``tradeloop_common.dal.aws`` are
watched, the ones the handlers and their logic use."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

SERVICES = ("s3", "dynamodb", "sqs", "events")


class Timings(Counter[str]):
    """Seconds spent waiting on each ``service:Operation`` (call to answer, retries included)."""


# DynamoDB bills request units, not requests: an upper bound per call, from what it asked and got
# (a read unit per item read strongly consistent, a write unit per item written, both doubled in a
# transaction; items here are under 4 KB / 1 KB, a Query's items are counted one unit each).
def dynamodb_units(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> tuple[str, int]:
    if operation == "BatchGetItem":
        return "read", sum(len(t.get("Keys", [])) for t in params.get("RequestItems", {}).values())
    if operation == "BatchWriteItem":
        return "write", sum(len(v) for v in params.get("RequestItems", {}).values())
    if operation == "TransactWriteItems":
        return "write", 2 * len(params.get("TransactItems", []))
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return "write", 1
    if operation in ("Query", "Scan"):
        return "read", max(1, int(parsed.get("Count", 0)))
    return "read", 1


@contextmanager
def count_requests(
    services: tuple[str, ...] = SERVICES, timings: Timings | None = None, units: Counter[str] | None = None
) -> Iterator[Counter[str]]:
    """Within the block, ``counts["s3:GetObject"]`` etc. grow as requests leave (given ``timings``,
    the seconds each kind of call waited: where an order's time goes; given ``units``, DynamoDB's
    ``dynamodb:read`` / ``dynamodb:write`` request units, what it bills)."""
    from tradeloop_common.dal.aws import client

    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def before_send(event_name: str = "", **_: Any) -> None:
        # event_name is "before-send.<service>.<Operation>"
        service, operation = event_name.split(".", 2)[1:]
        with lock:
            counts[f"{service}:{operation}"] += 1

    def before_build(context: dict[str, Any], params: dict[str, Any] | None = None, **_: Any) -> None:
        context["tradeloop_params"] = params or {}  # the API's parameters, before serialisation

    def before_call(context: dict[str, Any], **_: Any) -> None:
        context["tradeloop_started"] = time.perf_counter()

    def after_call(
        event_name: str = "", context: dict[str, Any] | None = None, parsed: dict[str, Any] | None = None, **_: Any
    ) -> None:
        context = context or {}
        service, operation = event_name.split(".", 2)[1:]
        started = context.get("tradeloop_started")
        with lock:
            if started is not None and timings is not None:
                timings[f"{service}:{operation}"] += time.perf_counter() - started
            if units is not None and service == "dynamodb":
                kind, n = dynamodb_units(operation, context.get("tradeloop_params", {}), parsed or {})
                units[f"dynamodb:{kind}"] += n

    hooks: list[tuple[str, Callable[..., None]]] = [("before-send", before_send)]
    if timings is not None or units is not None:
        hooks += [
            ("before-parameter-build", before_build),
            ("before-call", before_call),
            ("after-call", after_call),
            ("after-call-error", after_call),
        ]
    clients = [client(s) for s in services]
    for c in clients:
        for event, hook in hooks:
            c.meta.events.register(event, hook, unique_id=f"tradeloop-count-{event}")
    try:
        yield counts
    finally:
        for c in clients:
            for event, _ in hooks:
                c.meta.events.unregister(event, unique_id=f"tradeloop-count-{event}")


def by_service(counts: Counter[str]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for key, n in counts.items():
        out[key.split(":", 1)[0]] += n
    return dict(sorted(out.items()))
