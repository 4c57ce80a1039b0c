"""The reliability harness, bounded for `make test` (`make reliability` is the full run): 200 rebalance
intents over 25 sessions, their orders filled at each next open, through a stack of its own while
DynamoDB, S3 and SQS are throttled, fail and lose answers and the Lambda workers, the runtime and the
emulator are killed and restarted; then nothing lost, nothing doubled, the ledger equal to the
account to the cent, and the API within its OpenAPI document."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path
from typing import Any

from tradeloop_local import stackctl
from tradeloop_local.config import LocalConfig
from tradeloop_local.embedded import clone_stack, free_port
from tradeloop_local.reliability import Harness, Plan, harness_runtime_env

BOUNDED = Plan(
    intents=200,
    tickets=10,
    throttle=0.01,
    error=0.005,
    timeout=0.005,
    timeout_seconds=0.1,
    kills=("workers", "emulator", "runtime"),
    fuzz_examples=2,
)


def test_a_bounded_run_under_faults_and_kills_loses_nothing_doubles_nothing_and_reconciles(
    aws_env: dict[str, Any], tmp_path: Path
) -> None:
    # Given a stack of its own (a copy of the session's), trading an account of its own
    cfg = LocalConfig("127.0.0.1", free_port(), free_port(), free_port(), tmp_path / "stack")
    clone_stack(aws_env["info"], cfg)
    account = f"rel-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    log: list[str] = []

    def note(line: str) -> None:
        log.append(f"{time.monotonic() - started:6.1f}s {line}")

    stackctl.up(cfg, with_dashboard=False, log=note, runtime_env=harness_runtime_env(account))
    try:
        # When the harness runs its intents, tickets, faults, kills and fuzzing against it
        figures = Harness(cfg, BOUNDED, account, log=note).run()
    finally:
        stackctl.down(cfg, log=lambda _m: None)
    # Shown with `pytest -s`: the run's timeline and its table.
    print(*log, figures.table(), f"{time.monotonic() - started:.0f}s", sep="\n", file=sys.__stderr__, flush=True)
    # Then it really was under fire
    assert figures.intents == BOUNDED.intents and figures.tickets == BOUNDED.tickets
    assert sum(figures.faults.values()) > 10, figures.faults
    assert len(figures.kills) == 3 and figures.duplicates_sent > 0 and figures.poison > 0
    assert figures.requests_fuzzed > 0
    # And every intent and ticket has exactly one order, every poison message is where it belongs,
    # the ledger equals cash and positions to the cent, and no answer left the OpenAPI document
    assert figures.problems() == [], "\n".join(log[-30:])
    assert (figures.lost, figures.duplicated, figures.differences) == ([], [], [])
    assert (figures.server_errors, figures.schema_violations) == (0, 0)
