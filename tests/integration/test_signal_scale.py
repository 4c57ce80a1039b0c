"""The signal step over a generated 500-symbol universe: within the signal function's configured
memory (measured in-process), a request count that follows the universe, not 3 per symbol plus
the whole history, and, symbol by symbol, the same probability and target as scoring that
symbol's whole history alone (the per-symbol path)."""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from signal_fixtures import FixedControls, FixedModel, InMemoryHealth, ListQueue

from tradeloop_common.dal.bars import parse_bars
from tradeloop_common.models import SignalAction
from tradeloop_common.policy import target_weight
from tradeloop_local.aws_requests import count_requests
from tradeloop_local.synthetic import UniverseSpec, generate, universe_model

REPO = Path(__file__).resolve().parents[2]
SPEC = UniverseSpec(symbols=500, years=3, seed=11)
AS_OF = datetime(2020, 12, 31, 21, 0, tzinfo=UTC)  # the universe's last close
BUCKET = "tradeloop-scale-test-data"


def configured_memory_mb(service: str) -> int:
    """The function's memory_size as the stack module defines it (terraform/modules/stack/services.tf)."""
    text = (REPO / "terraform" / "modules" / "stack" / "services.tf").read_text()
    found = re.search(rf"^\s*{service}\s*=\s*{{[^}}]*\bmemory\s*=\s*(\d+)", text, re.MULTILINE)
    assert found, f"no memory for {service} in services.tf"
    return int(found.group(1))


@pytest.fixture(scope="module")
def universe(aws_env: dict[str, Any]) -> Iterator[dict[str, str]]:
    """500 generated series in a scratch bucket (the stack's own data stays the sample), and the
    signal rows this module writes removed afterwards."""
    from tradeloop_local.synthetic import write_bucket

    s3 = aws_env["session"].client("s3")
    s3.create_bucket(Bucket=BUCKET)
    texts = dict(generate(SPEC))
    write_bucket(SPEC, BUCKET, log=lambda _: None)
    yield texts
    ddb = aws_env["session"].client("dynamodb")
    table = aws_env["stack"]["TRADELOOP_SIGNALS_TABLE"]
    for symbol in texts:
        ddb.delete_item(TableName=table, Key={"symbol": {"S": symbol}, "as_of": {"S": "2020-12-31T21:00:00Z"}})
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def _deps(names: list[str], texts: dict[str, str]) -> Any:
    from signal_service.logic.dependencies import Dependencies
    from signal_service.logic.model_cache import LiveModel, verify_and_build
    from tradeloop_common.clock import FixedClock
    from tradeloop_common.dal.bars import BarsRepository
    from tradeloop_common.dal.signals import get_signal_store
    from tradeloop_common.settings import SignalEnv

    onnx, manifest = universe_model(names, [texts[s] for s in names[:20]], version="scale-test")
    import json

    manifest, predictor = verify_and_build("scale-test", json.dumps(manifest).encode(), onnx)
    return Dependencies(
        signals=get_signal_store(),
        health=InMemoryHealth(),  # type: ignore[arg-type]
        bars=BarsRepository(BUCKET),
        models=None,  # type: ignore[arg-type]
        model_cache=FixedModel(LiveModel("scale-test", "etag", manifest, predictor, None, 0.0)),  # type: ignore[arg-type]
        queue=ListQueue(),  # type: ignore[arg-type]
        limits=SignalEnv.model_validate({"TRADELOOP_MAX_MODEL_AGE_DAYS": "0"}),
        controls=FixedControls(),  # type: ignore[arg-type]
        account_id="paper",
        clock=FixedClock(AS_OF),
    )


def test_signal_run_over_500_symbols_fits_the_function_and_equals_the_per_symbol_path(
    universe: dict[str, str],
) -> None:
    from signal_service.logic.run_signals import run_signals

    # Given a 500-symbol universe and a model whose universe it is
    names = sorted(universe)
    deps = _deps(names, universe)
    live = deps.model_cache.current()

    # When the signal step runs over it, its allocations traced
    tracemalloc.start()
    try:
        with count_requests() as requests:
            outcome = run_signals(AS_OF, None, deps)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Then it stays well within the function's memory: at most half of what Terraform gives it
    limit = configured_memory_mb("signal") * 2**20
    assert peak < limit / 2, f"peak {peak / 2**20:.0f} MB of {limit / 2**20:.0f} MB"
    # its requests: one ranged read per symbol, batched reads of the rows, one write each
    assert requests["s3:GetObject"] == len(names)
    assert requests["dynamodb:BatchGetItem"] == len(names) // 100
    assert requests["dynamodb:PutItem"] == len(names)
    assert requests["dynamodb:Query"] <= len(names)  # the previous row, only where it decides
    assert "dynamodb:GetItem" not in requests
    # one decision per symbol, every one scored, and one rebalance intent with every target
    assert [s.symbol for s in outcome.signals] == names
    assert all(s.action is SignalAction.TARGET for s in outcome.signals), outcome.signals[0].reason
    assert len(deps.queue.sent) == 1 and set(deps.queue.sent[0].targets) == set(names)

    # and each symbol's row is what its whole history, scored alone, gives
    for signal in outcome.signals:
        whole = parse_bars(signal.symbol, universe[signal.symbol])
        n = whole.count_upto(AS_OF.date())
        probability = live.predictor.predict_last(*whole.feature_columns(0, n))
        assert signal.probability == Decimal(str(probability)), signal.symbol
        assert signal.target_weight == Decimal(str(target_weight(probability, 0.0, live.policy, signal.symbol)))


def test_a_rerun_over_the_universe_reuses_every_row_with_batched_reads(universe: dict[str, str]) -> None:
    from signal_service.logic.run_signals import run_signals

    # Given the run above stored its rows
    names = sorted(universe)
    deps = _deps(names, universe)
    first = {s.symbol: s for s in run_signals(AS_OF, None, deps).signals}

    # When the same decision time runs again
    with count_requests() as requests:
        again = run_signals(AS_OF, None, deps)

    # Then every row is the stored one, read 100 at a time; nothing scored or written again
    assert {s.symbol: s for s in again.signals} == first
    assert dict(requests) == {"dynamodb:BatchGetItem": len(names) // 100}
