"""Loss limits that act by themselves: a day's close-to-close loss, or a fall from the equity peak,
beyond the limit sets the trading state (REDUCE_ONLY by default: no new buy, sells allowed). Pure,
so the order service's session step and the backtest's live mode apply the same rule.

The drawdown is measured from the peak since the last time a person resumed trading: resuming
accepts the loss so far, and a further fall of the same size stops buying again."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradeloop_common.models import RiskLimits, TradingState

STRICTNESS = {TradingState.ACTIVE: 0, TradingState.REDUCE_ONLY: 1, TradingState.HALTED: 2}


@dataclass(frozen=True)
class LossBreach:
    rule: str  # the limit crossed: max_daily_loss or max_drawdown
    state: TradingState  # what it sets
    reason: str


def loss_breach(equity: Decimal, previous: Decimal | None, peak: Decimal, limits: RiskLimits) -> LossBreach | None:
    """The limit ``equity`` at a close crosses, against the previous close and the peak, or None."""
    state = TradingState(limits.loss_action.value)
    if limits.max_daily_loss and previous and previous > 0:
        change = equity / previous - 1
        if change <= -limits.max_daily_loss:
            return LossBreach(
                "max_daily_loss",
                state,
                f"the day's loss {change:.2%} ({previous:,.2f} -> {equity:,.2f}) crossed max_daily_loss "
                f"{limits.max_daily_loss:.2%}",
            )
    if limits.max_drawdown and peak > 0:
        drawdown = equity / peak - 1
        if drawdown <= -limits.max_drawdown:
            return LossBreach(
                "max_drawdown",
                state,
                f"the drawdown {drawdown:.2%} from the peak {peak:,.2f} crossed max_drawdown {limits.max_drawdown:.2%}",
            )
    return None


def tightens(current: TradingState, new: TradingState) -> bool:
    """A rule only ever makes trading stricter; loosening is a person's act."""
    return STRICTNESS[new] > STRICTNESS[current]
