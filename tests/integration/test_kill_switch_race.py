"""The kill switch wins a race with an order in flight: an order whose risk checks read ACTIVE
controls, but whose fill is booked after HALTED was written, must not fill. The fill's
transaction carries a guard on the controls version it read (a ConditionCheck in DynamoDB); it fails, the order
re-reads the controls and is rejected. Deterministic: the race is staged, not hoped for."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests

from order_service.logic.place_order import OrderTicket, place_order
from tradeloop_common.dal.controls import ControlsStore, get_controls_store
from tradeloop_common.dal.trading import get_trading_store
from tradeloop_common.models import OrderStatus, Side, TradingState
from tradeloop_common.settings import get_settings


class StaleFirstRead:
    """The controls as an order read them just before the switch was thrown, then the truth."""

    def __init__(self, real: ControlsStore, stale: Any) -> None:
        self._real, self._stale, self.reads = real, stale, 0

    def get(self, account_id: str) -> Any:
        self.reads += 1
        return self._stale if self.reads == 1 else self._real.get(account_id)


def test_order_that_read_active_controls_cannot_fill_after_halted(local_api: str, fresh_account: Any) -> None:
    from order_service.logic.dependencies import get_dependencies

    account = get_settings().account_id
    real = get_controls_store()
    stale = real.get(account)  # ACTIVE, as the in-flight order read it
    assert stale.trading_state is TradingState.ACTIVE
    r = requests.put(f"{local_api}/controls", json={"trading_state": "HALTED", "reason": "race test"}, timeout=30)
    assert r.status_code == 200, r.text
    try:
        controls = StaleFirstRead(real, stale)
        deps = dataclasses.replace(get_dependencies(), controls=controls)
        cash_before = get_trading_store().get_cash(account)
        ticket = OrderTicket(client_order_id="race-halt-1", symbol="IBM", side=Side.BUY, quantity=5)
        order = place_order(ticket, datetime(2013, 1, 2, 21, tzinfo=UTC), deps)
        assert order.status is OrderStatus.REJECTED and "HALTED" in (order.reason or "")
        assert controls.reads == 2  # the guarded commit failed and the order re-read the controls
        assert get_trading_store().get_cash(account) == cash_before
        assert get_trading_store().get_position(account, "IBM").quantity == 0
    finally:
        requests.put(f"{local_api}/controls", json={"trading_state": "ACTIVE", "reason": "race test"}, timeout=30)


def test_unchanged_controls_do_not_block_a_fill(local_api: str, fresh_account: Any) -> None:
    from order_service.logic.dependencies import get_dependencies

    deps = get_dependencies()
    ticket = OrderTicket(client_order_id="race-ok-1", symbol="IBM", side=Side.BUY, quantity=5)
    order = place_order(ticket, datetime(2013, 1, 2, 21, tzinfo=UTC), deps)
    assert order.status is OrderStatus.FILLED
    assert get_trading_store().get_cash(get_settings().account_id) < Decimal("100000")


class NoOpPutAfterRead:
    """The real controls; right after the order reads them, a client PUTs a change that changes nothing."""

    def __init__(self, real: ControlsStore, api: str, body: dict[str, Any]) -> None:
        self._real, self._api, self._body, self.reads = real, api, body, 0

    def get(self, account_id: str) -> Any:
        self.reads += 1
        controls = self._real.get(account_id)
        if self.reads == 1:
            r = requests.put(f"{self._api}/controls", json=self._body, timeout=30)
            assert r.status_code == 200, r.text
        return controls


def test_no_op_controls_put_does_not_make_an_order_in_flight_retry(local_api: str, fresh_account: Any) -> None:
    from order_service.logic.dependencies import get_dependencies

    # Given controls that were written once (so they carry a version)
    current = requests.put(f"{local_api}/controls", json={"limits": {"max_order_notional": 200000}}, timeout=30)
    assert current.status_code == 200, current.text
    # And a client that re-sends the same state and limits while an order is between its checks and its fill
    same = {"trading_state": "ACTIVE", "limits": {"max_order_notional": 200000}}
    controls = NoOpPutAfterRead(get_controls_store(), local_api, same)
    deps = dataclasses.replace(get_dependencies(), controls=controls)
    # When the order is placed
    ticket = OrderTicket(client_order_id="race-noop-1", symbol="IBM", side=Side.BUY, quantity=5)
    order = place_order(ticket, datetime(2013, 1, 2, 21, tzinfo=UTC), deps)
    # Then it fills on its first attempt: the no-op did not move the version the fill's guard checks
    assert order.status is OrderStatus.FILLED
    assert controls.reads == 1
