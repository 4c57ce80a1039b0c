"""The local Lambda runtime ends a timed-out invocation with its instance, as Lambda does.

Before, the invocation went on running in its worker process after the caller gave up: the SQS
poller failed the batch, the batch came back and ran again beside the first run, both writing
(issue 12: a rebalance still placing orders while the next session's fill step reconciled)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tradeloop_local import lambda_pool
from tradeloop_local.lambda_pool import FunctionError, LambdaPool


@pytest.mark.slow  # worker processes and a wait of seconds: in `make test`, not `make test-unit`
def test_a_timed_out_invocation_stops_and_the_next_one_runs_on_a_fresh_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lambda_pool, "START_GRACE_SECONDS", 0.0)
    pool = LambdaPool("order", {}, concurrency=1, handler="pool_handlers.sleep_then_write")
    try:
        pool.warm()
        late = tmp_path / "late"
        started = time.monotonic()
        with pytest.raises(FunctionError, match="timed out after 0.5 s"):
            pool.invoke({"seconds": 2.0, "marker": str(late)}, timeout=0.5)
        assert time.monotonic() - started < 2.0  # the caller was answered at the timeout

        time.sleep(2.5)  # past the moment the handler would have written
        assert not late.exists(), "the timed-out invocation kept running"

        again = tmp_path / "again"
        assert pool.invoke({"seconds": 0, "marker": str(again)}, timeout=30) == {"finished": True}
        assert again.read_text() == "finished"
    finally:
        pool.close()
