"""The data layer answers an AWS failure with its own StoreError, the ClientError kept as its cause
(what portfolio health reads to name an AccessDenied): every read of the stores below, against moto
in-process with none of their tables or buckets created."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tradeloop_common.dal.aws import object_exists
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.dal.registry import read_live_version
from tradeloop_common.dal.signals import SignalStore
from tradeloop_common.dal.snapshots import DynamoSnapshotStore
from tradeloop_common.dal.trading import DynamoTradingStore
from tradeloop_common.errors import StoreError

AT = datetime(2013, 1, 2, 21, tzinfo=UTC)
TRADING = DynamoTradingStore("no-orders", "no-accounts", "no-controls")

CALLS: dict[str, Callable[[], Any]] = {
    "get_cash": lambda: TRADING.get_cash("paper"),
    "get_position": lambda: TRADING.get_position("paper", "IBM"),
    "get_positions": lambda: TRADING.get_positions("paper"),
    "snapshots.query": lambda: DynamoSnapshotStore("no-snapshots").query("paper", None, None, 10),
    "signals.get": lambda: SignalStore("no-signals").get("IBM", AT),
    "signals.before": lambda: SignalStore("no-signals").before("IBM", AT, 1),
    "signals.history_page": lambda: SignalStore("no-signals").history_page("IBM", 1),
    "bars.symbols": lambda: BarsRepository("no-bucket").symbols(),
    "bars.put": lambda: BarsRepository("no-bucket").put("IBM", "date,open\n"),
    "object_exists": lambda: object_exists("no-bucket", "bars/daily/IBM.csv"),
    "read_live_version": lambda: read_live_version("no-bucket", "tradeloop"),
}


@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
def test_a_failed_aws_call_is_a_store_error_caused_by_the_client_error(
    aws_in_process: None, call: Callable[[], Any]
) -> None:
    with pytest.raises(StoreError) as raised:
        call()
    assert isinstance(raised.value.__cause__, ClientError)
    assert raised.value.status == 503
