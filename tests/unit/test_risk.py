"""Pre-trade risk checks, one row per rule."""

from datetime import datetime
from decimal import Decimal as D

import pytest

from tradeloop_common.accounting import value_portfolio
from tradeloop_common.models import Controls, Position, RiskLimits, Side, TradingState
from tradeloop_common.risk import check_order

HELD = Position(symbol="AAPL", quantity=100, cost_basis=D("10000"))
PORTFOLIO = value_portfolio("paper", datetime(2013, 1, 2), D("90000"), [HELD], {"AAPL": D("100")})
LIMITS = RiskLimits(max_order_notional=D("50000"), max_position_weight=D("0.5"), max_gross_exposure=D("1"))


@pytest.mark.parametrize(
    ("state", "side", "qty", "px", "reason"),
    [
        (TradingState.ACTIVE, Side.BUY, 10, D("100"), None),
        (TradingState.HALTED, Side.SELL, 10, D("100"), "HALTED"),
        (TradingState.REDUCE_ONLY, Side.BUY, 1, D("100"), "REDUCE_ONLY"),
        (TradingState.REDUCE_ONLY, Side.SELL, 10, D("100"), None),
        (TradingState.ACTIVE, Side.BUY, 501, D("100"), "max_order_notional"),
        (TradingState.ACTIVE, Side.SELL, 101, D("100"), "insufficient position"),
        (TradingState.ACTIVE, Side.BUY, 450, D("100"), "max_position_weight"),
        (TradingState.ACTIVE, Side.SELL, 100, D("100"), None),
    ],
)
def test_check_order_rules(state: TradingState, side: Side, qty: int, px: D, reason: str | None) -> None:
    got = check_order(
        controls=Controls(trading_state=state, limits=LIMITS),
        side=side,
        quantity=qty,
        fill_px=px,
        commission=D("1"),
        position=HELD,
        portfolio=PORTFOLIO,
    )
    assert (got is None) if reason is None else (got is not None and reason in got), got


def test_gross_exposure_and_cash_limits() -> None:
    other = Position(symbol="IBM")
    loose = RiskLimits(max_order_notional=D("1e9"), max_position_weight=D("1"), max_gross_exposure=D("0.2"))
    got = check_order(
        controls=Controls(limits=loose),
        side=Side.BUY,
        quantity=200,
        fill_px=D("100"),
        commission=D("1"),
        position=other,
        portfolio=PORTFOLIO,
    )
    assert got is not None and "max_gross_exposure" in got
    loose = loose.model_copy(update={"max_gross_exposure": D("4")})
    got = check_order(
        controls=Controls(limits=loose),
        side=Side.BUY,
        quantity=900,
        fill_px=D("100"),
        commission=D("1"),
        position=other,
        portfolio=PORTFOLIO,
    )
    assert got is not None and "insufficient cash" in got
