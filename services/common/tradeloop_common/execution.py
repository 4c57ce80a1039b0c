"""How a session's target weights become orders, whether an order is accepted, and how a
market-on-open order fills: the rules the order service applies, and `ml.backtest.backtest_live`
applies the same functions, so replay and backtest agree by construction (the parity test keeps
them honest). Pure: Decimal in, Decimal out, no I/O.

- **Rebalance** (`plan_rebalance`): each session, every targeted symbol is brought from what is held
  plus what is already pending to ``floor(weight x equity x (1 - cash_buffer) / close)`` shares.
  The cash buffer keeps a gap up at the open from pushing the last buy past the cash it has; a
  change smaller than ``band`` of equity is not worth its costs (a full exit always trades). Sells
  come first: their proceeds pay for the buys at the same open. HALTED plans nothing;
  REDUCE_ONLY only sells.
- **Acceptance** (`accept`): the risk checks (`tradeloop_common.risk`) on the book as it will be
  once the pending orders fill, at the decision close with slippage; a buy reserves its estimated
  cost plus the buffer from the buying power (``available``), a sell credits its estimated
  proceeds less the buffer, so orders of one session cannot together spend cash the account
  lacks.
- **Fill** (`fill_at_open`): at the session's official open with slippage, the commission at the
  cents; a buy that would take more cash than the account has is rejected, never filled short.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tradeloop_common.accounting import FillEffect, apply_fill, commission_for, fill_price, shares_for_weight
from tradeloop_common.accounting import value_portfolio as _value
from tradeloop_common.models import Controls, Portfolio, Position, Side, TradingState
from tradeloop_common.money import ZERO, cents
from tradeloop_common.risk import check_order

DEFAULT_BAND = Decimal("0.01")
DEFAULT_CASH_BUFFER = Decimal("0.02")


@dataclass(frozen=True)
class ExecutionSettings:
    """The paper broker's costs and the rebalance's band and buffer (order service settings)."""

    commission_bps: Decimal = Decimal("1")
    slippage_bps: Decimal = Decimal("5")
    band: Decimal = DEFAULT_BAND
    cash_buffer: Decimal = DEFAULT_CASH_BUFFER


@dataclass(frozen=True)
class PlannedOrder:
    symbol: str
    side: Side
    quantity: int
    target_quantity: int  # shares the symbol is brought to
    price: Decimal  # the decision close the order is sized and checked at


@dataclass
class Book:
    """The account as the rules see it: cash, buying power, positions, marks, pending orders."""

    account_id: str
    cash: Decimal
    available: Decimal  # cash less what pending orders reserved
    positions: dict[str, Position]
    marks: dict[str, Decimal | None]
    pending: dict[str, int] = field(default_factory=dict)  # signed shares per symbol, not yet filled

    def position(self, symbol: str) -> Position:
        return self.positions.get(symbol) or Position(symbol=symbol)

    def held(self) -> dict[str, int]:
        return {s: p.quantity for s, p in self.positions.items() if p.quantity}

    def portfolio(self, as_of: object) -> Portfolio:
        """Marked as it stands (what equity and snapshots use)."""
        return _value(self.account_id, as_of, self.cash, list(self.positions.values()), self.marks)  # type: ignore[arg-type]

    def projected(self, as_of: object) -> Portfolio:
        """Marked as it will be once every pending order fills at the marks, cash = buying power:
        what an order's risk checks are measured against."""
        projected = dict(self.positions)
        for symbol, qty in self.pending.items():
            base = self.position(symbol)
            mark = self.marks.get(symbol) or ZERO
            projected[symbol] = base.model_copy(
                update={"quantity": base.quantity + qty, "cost_basis": base.cost_basis + cents(mark * qty)}
            )
        return _value(self.account_id, as_of, self.available, list(projected.values()), self.marks)  # type: ignore[arg-type]


def plan_rebalance(
    targets: Mapping[str, Decimal],
    held: Mapping[str, int],
    pending: Mapping[str, int],
    prices: Mapping[str, Decimal | None],
    equity: Decimal,
    settings: ExecutionSettings,
    state: TradingState = TradingState.ACTIVE,
) -> list[PlannedOrder]:
    """The orders that bring each targeted symbol to its target, sells first, then buys."""
    if state is TradingState.HALTED or equity <= 0:
        return []
    orders: list[PlannedOrder] = []
    for symbol in sorted(targets):
        px = prices.get(symbol)
        if px is None or px <= 0:
            continue  # no price to size at: nothing can be decided for it this session
        target = shares_for_weight(Decimal(targets[symbol]) * (1 - settings.cash_buffer), equity, px)
        waiting = pending.get(symbol, 0)
        delta = target - (held.get(symbol, 0) + waiting)
        if delta == 0 or (target > 0 and abs(delta) * px < settings.band * equity):
            continue
        if delta > 0:
            if state is TradingState.REDUCE_ONLY:
                continue
            orders.append(PlannedOrder(symbol, Side.BUY, delta, target, px))
            continue
        sellable = held.get(symbol, 0) + min(waiting, 0)  # shares a pending buy will bring are not ours yet
        quantity = min(-delta, sellable)
        if quantity > 0:
            orders.append(PlannedOrder(symbol, Side.SELL, quantity, target, px))
    return sorted(orders, key=lambda o: (o.side is Side.BUY, o.symbol))


@dataclass(frozen=True)
class Acceptance:
    reason: str | None  # None: accepted
    reserve: Decimal  # buying power it takes (a buy) or gives (a sell, negative) until it fills
    estimated_price: Decimal


def accept(
    order: PlannedOrder, book: Book, controls: Controls, settings: ExecutionSettings, as_of: object
) -> Acceptance:
    """Whether ``order`` may wait for the open, and the buying power it reserves meanwhile."""
    est = fill_price(order.price, order.side, settings.slippage_bps)
    notional = cents(est * order.quantity)
    commission = commission_for(notional, settings.commission_bps)
    position = book.position(order.symbol)
    if order.side is Side.SELL:
        # Shares already promised to a pending sell are not there to sell again.
        promised = -min(book.pending.get(order.symbol, 0), 0)
        position = position.model_copy(update={"quantity": max(position.quantity - promised, 0)})
    reason = check_order(
        controls=controls,
        side=order.side,
        quantity=order.quantity,
        fill_px=est,
        commission=commission,
        position=position,
        portfolio=book.projected(as_of),
    )
    if order.side is Side.BUY:
        reserve = cents(notional * (1 + settings.cash_buffer)) + commission
        if reason is None and reserve > book.available:
            reason = (
                f"insufficient buying power: need {reserve} (cost at the last close with slippage and the "
                f"{settings.cash_buffer:%} cash buffer), have {cents(book.available)}"
            )
    else:
        reserve = -(cents(notional * (1 - settings.cash_buffer)) - commission)
    return Acceptance(reason, ZERO if reason else reserve, est)


def forbidden_at_open(side: Side, state: TradingState) -> str | None:
    """Why the trading state at the open cancels a pending order, or None."""
    if state is TradingState.HALTED:
        return "the kill switch was HALTED before the open"
    if state is TradingState.REDUCE_ONLY and side is Side.BUY:
        return "trading was REDUCE_ONLY at the open: a buy would grow the position"
    return None


def fill_at_open(
    side: Side, quantity: int, open_price: Decimal, position: Position, cash: Decimal, settings: ExecutionSettings
) -> FillEffect | str:
    """The fill of a market-on-open order, or why it cannot fill (a reason to reject it)."""
    px = fill_price(open_price, side, settings.slippage_bps)
    if side is Side.SELL and quantity > position.quantity:
        return f"insufficient position at the open: selling {quantity} {position.symbol}, holding {position.quantity}"
    effect = apply_fill(position, side, quantity, px, settings.commission_bps)
    if side is Side.BUY and -effect.cash_delta > cash:
        return f"insufficient cash at the open: need {-effect.cash_delta}, have {cents(cash)}"
    return effect


def apply_to_book(book: Book, symbol: str, effect: FillEffect, reserve: Decimal, side: Side, quantity: int) -> None:
    """Book a fill of a pending order: cash, buying power, the position, the pending shares."""
    book.cash += effect.cash_delta
    book.available += effect.cash_delta + reserve
    book.positions[symbol] = effect.position
    release_pending(book, symbol, reserve, side, quantity, released_cash=False)


def release_pending(
    book: Book, symbol: str, reserve: Decimal, side: Side, quantity: int, released_cash: bool = True
) -> None:
    """A pending order leaves the book (filled, or closed without a fill: its reserve comes back)."""
    if released_cash:
        book.available += reserve
    left = book.pending.get(symbol, 0) - (quantity if side is Side.BUY else -quantity)
    if left:
        book.pending[symbol] = left
    else:
        book.pending.pop(symbol, None)


def add_pending(book: Book, symbol: str, reserve: Decimal, side: Side, quantity: int) -> None:
    """An accepted order waits for the open: its shares are pending and it reserves buying power."""
    book.available -= reserve
    book.pending[symbol] = book.pending.get(symbol, 0) + (quantity if side is Side.BUY else -quantity)
