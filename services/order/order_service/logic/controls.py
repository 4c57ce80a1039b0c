"""Read and change the kill switch and risk limits."""

from __future__ import annotations

from order_service.models.input import UpdateControlsRequest
from tradeloop_common.clock import SystemClock
from tradeloop_common.dal.controls import ControlsStore
from tradeloop_common.models import Controls
from tradeloop_common.observability import logger


def get_controls(store: ControlsStore, account_id: str) -> Controls:
    return store.get(account_id)


def update_controls(store: ControlsStore, account_id: str, change: UpdateControlsRequest) -> Controls:
    current = store.get(account_id)
    updated = current.model_copy(
        update={
            "trading_state": change.trading_state or current.trading_state,
            "limits": change.limits.apply(current.limits) if change.limits else current.limits,
            "updated_at": SystemClock().now(),
        }
    )
    saved = store.put(account_id, updated, expected_version=current.version)
    logger.warning(
        "controls changed",
        extra={"trading_state": saved.trading_state.value, "reason": change.reason, "version": saved.version},
    )
    return saved
