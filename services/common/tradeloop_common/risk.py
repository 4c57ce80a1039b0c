"""Pre-trade risk checks, shared by the order service and the live-execution backtest (one copy of the rules).

Pure: given the account as read, say why an order must not trade."""

from __future__ import annotations

from decimal import Decimal

from tradeloop_common.models import Controls, Portfolio, Position, Side, TradingState
from tradeloop_common.money import cents


def check_order(
    *,
    controls: Controls,
    side: Side,
    quantity: int,
    fill_px: Decimal,
    commission: Decimal,
    position: Position,
    portfolio: Portfolio,
) -> str | None:
    """The reason to reject, or None. Checks run from the broadest switch to the finest limit."""
    limits = controls.limits
    if controls.trading_state is TradingState.HALTED:
        return "trading is HALTED by the kill switch"
    if controls.trading_state is TradingState.REDUCE_ONLY and side is Side.BUY:
        return "trading is REDUCE_ONLY: a BUY would grow the position"
    notional = cents(fill_px * quantity)
    if notional > limits.max_order_notional:
        return f"order notional {notional} exceeds max_order_notional {limits.max_order_notional}"
    if side is Side.SELL:
        if quantity > position.quantity:
            return f"insufficient position: selling {quantity} {position.symbol}, holding {position.quantity}"
        return None
    equity = portfolio.equity
    if equity <= 0:
        return "account equity is not positive"
    held_value = next((p.market_value for p in portfolio.positions if p.symbol == position.symbol), Decimal(0))
    weight = (held_value + notional) / equity
    if weight > limits.max_position_weight:
        return f"position weight after fill {weight:.4f} exceeds max_position_weight {limits.max_position_weight}"
    gross = (portfolio.gross_exposure + notional) / equity
    if gross > limits.max_gross_exposure:
        return f"gross exposure after fill {gross:.4f} exceeds max_gross_exposure {limits.max_gross_exposure}"
    cost = notional + commission
    if cost > portfolio.cash:
        return f"insufficient cash: need {cost}, have {portfolio.cash}"
    return None
