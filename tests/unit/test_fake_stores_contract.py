"""The in-memory trading, controls and snapshot stores keep the DynamoDB stores' contract: the
scenarios of fakes.contract, which tests/integration/test_dynamodb_stores_contract.py runs against
the emulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fakes import InMemorySnapshotStore, in_memory_stores
from fakes.contract import SCENARIOS, SNAPSHOT_SCENARIOS, new_account

from tradeloop_common.dal.controls import ControlsStore
from tradeloop_common.dal.snapshots import SnapshotStore
from tradeloop_common.dal.trading import TradingStore


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_in_memory_stores_keep_the_contract(scenario: Callable[[TradingStore, ControlsStore, str], None]) -> None:
    store, controls = in_memory_stores()
    scenario(store, controls, new_account())


@pytest.mark.parametrize("scenario", list(SNAPSHOT_SCENARIOS.values()), ids=list(SNAPSHOT_SCENARIOS))
def test_in_memory_snapshot_store_keeps_the_contract(scenario: Callable[[SnapshotStore, str], None]) -> None:
    scenario(InMemorySnapshotStore(), new_account())
