"""Read and change the kill switch and risk limits: by a person through the API, or by a rule
(reconciliation, a loss limit) acting by itself. Every change is kept with who, when, old, new and
why (GET /controls/history)."""

from __future__ import annotations

from datetime import datetime

from order_service.models.input import UpdateControlsRequest
from tradeloop_common.clock import SystemClock
from tradeloop_common.dal.controls import ControlsStore
from tradeloop_common.errors import ConflictError, UnprocessableError
from tradeloop_common.loss_limits import tightens
from tradeloop_common.models import Controls, ControlsChange, TradingState
from tradeloop_common.observability import logger


def get_controls(store: ControlsStore, account_id: str) -> Controls:
    return store.get(account_id)


def controls_history(store: ControlsStore, account_id: str, limit: int) -> list[ControlsChange]:
    return store.history(account_id, limit)


def update_controls(store: ControlsStore, account_id: str, change: UpdateControlsRequest, actor: str) -> Controls:
    """Apply a person's ``change``; a change that leaves state and limits as they are writes nothing.

    Every fill's transaction checks that the controls version it read is still current, so a write
    that changes nothing would only make orders in flight re-read and retry (clients re-sending the
    same controls in a loop could starve trading). Loosening the trading state (resuming) needs a
    reason: a rule or a colleague stopped it for one."""
    current = store.get(account_id)
    state = change.trading_state or current.trading_state
    limits = change.limits.apply(current.limits) if change.limits else current.limits
    if state == current.trading_state and limits == current.limits:
        logger.info("controls unchanged: nothing written", extra={"reason": change.reason, "version": current.version})
        return current
    if tightens(state, current.trading_state) and not change.reason:
        raise UnprocessableError(
            f"resuming from {current.trading_state.value} needs a reason",
            [{"field": "reason", "fix": f"say why trading may resume ({current.changed_by or 'someone'} stopped it)"}],
        )
    updated = current.model_copy(update={"trading_state": state, "limits": limits, "updated_at": SystemClock().now()})
    saved = store.put(account_id, updated, current.version, actor, change.reason)
    logger.warning(
        "controls changed",
        extra={"trading_state": saved.trading_state.value, "reason": change.reason, "actor": actor},
    )
    return saved


def set_state_by_rule(
    store: ControlsStore, account_id: str, state: TradingState, rule: str, reason: str, at: datetime
) -> bool:
    """A rule makes trading stricter by itself (never looser), recorded as ``rule:<rule>``. False
    when it was already that strict, or the controls moved meanwhile (the next session tries again)."""
    current = store.get(account_id)
    if not tightens(current.trading_state, state):
        return current.trading_state == state
    try:
        store.put(
            account_id,
            current.model_copy(update={"trading_state": state, "updated_at": at}),
            current.version,
            f"rule:{rule}",
            reason,
        )
    except ConflictError:
        logger.exception("controls changed while a rule set them", extra={"rule": rule})
        return False
    logger.error("trading state set by a rule", extra={"rule": rule, "state": state.value, "reason": reason})
    return True
