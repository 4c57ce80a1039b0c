"""The DynamoDB trading and controls stores, in the emulator, pass the scenarios of fakes.contract:
the contract the in-memory fakes of the unit tests are held to (tests/unit/test_fake_stores_contract.py).
Each scenario opens an account of its own, so nothing of the shared paper account is touched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fakes.contract import SCENARIOS, new_account

from tradeloop_common.dal.controls import ControlsStore, get_controls_store
from tradeloop_common.dal.trading import TradingStore, get_trading_store


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_dynamodb_stores_keep_the_contract(
    aws_env: dict[str, Any], scenario: Callable[[TradingStore, ControlsStore, str], None]
) -> None:
    scenario(get_trading_store(), get_controls_store(), new_account())
