"""The loss limits, at a session's close once its snapshot is written: a crossed daily loss or
drawdown sets the trading state by itself (tradeloop_common.loss_limits), recorded in the
controls history as rule:max_daily_loss or rule:max_drawdown."""

from __future__ import annotations

from datetime import date

from order_service.logic.context import Dependencies
from order_service.logic.controls import set_state_by_rule
from tradeloop_common.loss_limits import LossBreach, loss_breach, tightens
from tradeloop_common.models import Snapshot, TradingState
from tradeloop_common.valuation import close_of

HISTORY_LIMIT = 10_000  # closes: forty years of sessions


def check_loss_limits(session: date, snapshot: Snapshot, deps: Dependencies) -> LossBreach | None:
    """The limit this close crosses and that tightened trading, or None."""
    controls = deps.controls.get(deps.account_id)
    closes = deps.snapshots.query(deps.account_id, None, close_of(session), HISTORY_LIMIT)
    earlier = [s for s in closes if s.as_of < snapshot.as_of]
    # The drawdown counts from the peak since a person last resumed trading (they accepted the loss
    # so far), else since the account's first close.
    resumed = next(
        (
            c.at
            for c in deps.controls.history(deps.account_id)
            if c.actor.startswith("person:") and c.new_state is TradingState.ACTIVE and c.old_state is not c.new_state
        ),
        None,
    )
    since = [s.equity for s in earlier if resumed is None or s.as_of >= resumed] + [snapshot.equity]
    breach = loss_breach(snapshot.equity, earlier[-1].equity if earlier else None, max(since), controls.limits)
    if breach is None or not tightens(controls.trading_state, breach.state):
        return None
    set_state_by_rule(
        deps.controls,
        deps.account_id,
        breach.state,
        breach.rule,
        f"at the close of {session}: {breach.reason}",
        deps.clock.now(),
    )
    return breach
