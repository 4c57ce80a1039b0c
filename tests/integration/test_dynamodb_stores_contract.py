"""The DynamoDB trading, controls and snapshot stores, in the emulator, pass the scenarios of
fakes.contract: the contract the in-memory fakes of the unit tests are held to
(tests/unit/test_fake_stores_contract.py). Each scenario opens an account of its own, so nothing of
the shared paper account is touched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fakes.contract import SCENARIOS, SNAPSHOT_SCENARIOS, new_account

from tradeloop_common.dal.controls import ControlsStore, get_controls_store
from tradeloop_common.dal.snapshots import SnapshotStore, get_snapshot_store
from tradeloop_common.dal.trading import TradingStore, get_trading_store


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_dynamodb_stores_keep_the_contract(
    aws_env: dict[str, Any], scenario: Callable[[TradingStore, ControlsStore, str], None]
) -> None:
    scenario(get_trading_store(), get_controls_store(), new_account())


@pytest.mark.parametrize("scenario", list(SNAPSHOT_SCENARIOS.values()), ids=list(SNAPSHOT_SCENARIOS))
def test_dynamodb_snapshot_store_keeps_the_contract(
    aws_env: dict[str, Any], scenario: Callable[[SnapshotStore, str], None]
) -> None:
    scenario(get_snapshot_store(), new_account())
