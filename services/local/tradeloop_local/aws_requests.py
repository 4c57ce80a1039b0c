"""Count the AWS requests this process's service code sends (the scale tests and `make bench`).

Requests are what S3 and SQS bill, and the round trips a Lambda waits for: a count per
``service:Operation`` turns a run into a cost (docs/benchmarks.md). Every HTTP attempt counts,
retries included, as AWS counts them. Only the clients of ``tradeloop_common.dal.aws`` are
watched, the ones the handlers and their logic use."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SERVICES = ("s3", "dynamodb", "sqs", "events")


@contextmanager
def count_requests(services: tuple[str, ...] = SERVICES) -> Iterator[Counter[str]]:
    """Within the block, ``counts["s3:GetObject"]`` etc. grow as requests leave."""
    from tradeloop_common.dal.aws import client

    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def before_send(event_name: str = "", **_: Any) -> None:
        # event_name is "before-send.<service>.<Operation>"
        _, service, operation = event_name.split(".", 2)
        with lock:
            counts[f"{service}:{operation}"] += 1

    clients = [client(s) for s in services]
    for c in clients:
        c.meta.events.register("before-send", before_send, unique_id="tradeloop-count-requests")
    try:
        yield counts
    finally:
        for c in clients:
            c.meta.events.unregister("before-send", unique_id="tradeloop-count-requests")


def by_service(counts: Counter[str]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for key, n in counts.items():
        out[key.split(":", 1)[0]] += n
    return dict(sorted(out.items()))
