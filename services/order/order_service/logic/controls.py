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
    """Apply ``change``; a change that leaves state and limits as they are writes nothing.

    Every fill's transaction checks that the controls version it read is still current, so a write
    that changes nothing would only make orders in flight re-read and retry (clients re-sending the
    same controls in a loop could starve trading)."""
    current = store.get(account_id)
    state = change.trading_state or current.trading_state
    limits = change.limits.apply(current.limits) if change.limits else current.limits
    if state == current.trading_state and limits == current.limits:
        logger.info("controls unchanged: nothing written", extra={"reason": change.reason, "version": current.version})
        return current
    updated = current.model_copy(update={"trading_state": state, "limits": limits, "updated_at": SystemClock().now()})
    saved = store.put(account_id, updated, expected_version=current.version)
    logger.warning(
        "controls changed",
        extra={"trading_state": saved.trading_state.value, "reason": change.reason, "version": saved.version},
    )
    return saved
