"""Paper-broker pricing and position accounting. Pure functions over Decimal: the one place that
decides how a fill moves cash, cost basis and realized P&L."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from tradeloop_common.models import Portfolio, Position, PositionView, Side
from tradeloop_common.money import ZERO, bps_of, cents, price


@dataclass(frozen=True)
class FillEffect:
    position: Position  # the position after the fill
    cash_delta: Decimal  # negative for a buy
    notional: Decimal
    commission: Decimal
    price: Decimal


def fill_price(reference: Decimal, side: Side, slippage_bps: Decimal) -> Decimal:
    """Slippage always works against us: buys pay up, sells receive less."""
    sign = 1 if side is Side.BUY else -1
    return price(reference * (1 + sign * slippage_bps / Decimal(10000)))


def commission_for(notional: Decimal, commission_bps: Decimal) -> Decimal:
    return cents(bps_of(notional, commission_bps))


def apply_fill(position: Position, side: Side, quantity: int, fill_px: Decimal, commission_bps: Decimal) -> FillEffect:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    notional = cents(fill_px * quantity)
    commission = commission_for(notional, commission_bps)
    if side is Side.BUY:
        cost = notional + commission
        new = position.model_copy(
            update={"quantity": position.quantity + quantity, "cost_basis": position.cost_basis + cost}
        )
        return FillEffect(new, -cost, notional, commission, fill_px)
    if quantity > position.quantity:
        raise ValueError(f"cannot sell {quantity}, holding {position.quantity}")
    removed = (
        position.cost_basis
        if quantity == position.quantity
        else cents(position.cost_basis * quantity / position.quantity)
    )
    proceeds = notional - commission
    new = position.model_copy(
        update={
            "quantity": position.quantity - quantity,
            "cost_basis": position.cost_basis - removed,
            "realized_pnl": position.realized_pnl + proceeds - removed,
        }
    )
    return FillEffect(new, proceeds, notional, commission, fill_px)


def shares_for_weight(target_weight: Decimal, equity: Decimal, px: Decimal) -> int:
    """Whole shares whose value at ``px`` is closest to, without exceeding, the target weight."""
    if px <= 0 or equity <= 0 or target_weight <= 0:
        return 0
    return int((target_weight * equity / px).to_integral_value(rounding=ROUND_FLOOR))


def value_portfolio(
    account_id: str,
    as_of: datetime,
    cash: Decimal,
    positions: list[Position],
    last_prices: dict[str, Decimal | None],
) -> Portfolio:
    """Mark positions to ``last_prices``; a position with no price is carried at cost."""
    marked: list[tuple[Position, Decimal | None, Decimal]] = []
    for pos in positions:
        if pos.quantity == 0 and pos.realized_pnl == 0:
            continue
        last = last_prices.get(pos.symbol)
        value = cents(last * pos.quantity) if last is not None else cents(pos.cost_basis)
        marked.append((pos, last, value))
    positions_value = sum((v for _, _, v in marked), ZERO)
    gross = sum((abs(v) for _, _, v in marked), ZERO)
    equity = cash + positions_value
    views = [
        PositionView(
            symbol=pos.symbol,
            quantity=pos.quantity,
            avg_cost=price(pos.avg_cost),
            last_price=last,
            market_value=value,
            unrealized_pnl=cents(value - pos.cost_basis),
            realized_pnl=cents(pos.realized_pnl),
            weight=(value / equity).quantize(Decimal("0.000001")) if equity else ZERO,
        )
        for pos, last, value in sorted(marked, key=lambda m: m[0].symbol)
    ]
    return Portfolio(
        account_id=account_id,
        as_of=as_of,
        cash=cents(cash),
        equity=cents(equity),
        positions_value=cents(positions_value),
        gross_exposure=cents(gross),
        leverage=(gross / equity).quantize(Decimal("0.000001")) if equity else ZERO,
        unrealized_pnl=cents(sum((v.unrealized_pnl for v in views), ZERO)),
        realized_pnl=cents(sum((v.realized_pnl for v in views), ZERO)),
        positions=views,
    )
