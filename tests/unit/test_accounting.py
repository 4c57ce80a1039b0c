"""Accounting by hand: average cost, realized P&L after partial sells, commission, rounding."""

from decimal import Decimal as D

import pytest

from tradeloop_common.accounting import apply_fill, commission_for, fill_price, shares_for_weight, value_portfolio
from tradeloop_common.models import Position, Side


def test_fill_price_slippage_works_against_the_trader() -> None:
    assert fill_price(D("100"), Side.BUY, D("5")) == D("100.0500")
    assert fill_price(D("100"), Side.SELL, D("5")) == D("99.9500")
    assert fill_price(D("33.3333"), Side.BUY, D("0")) == D("33.3333")


@pytest.mark.parametrize(
    ("notional", "bps", "expected"),
    [(D("1234.50"), D("1"), D("0.12")), (D("1250.00"), D("1"), D("0.13")), (D("1000.00"), D("10"), D("1.00"))],
)
def test_commission_rounds_half_up_to_the_cent(notional: D, bps: D, expected: D) -> None:
    assert commission_for(notional, bps) == expected


def test_average_cost_and_realized_pnl_through_partial_sells() -> None:
    # Given 10 bps commission and no slippage (prices are fill prices)
    bps = D("10")
    pos, cash = Position(symbol="AAPL"), D("100000")

    # When buying 100 @ 10.00: notional 1000.00 + commission 1.00 -> basis 1001.00, avg 10.01
    e = apply_fill(pos, Side.BUY, 100, D("10.00"), bps)
    pos, cash = e.position, cash + e.cash_delta
    assert (pos.quantity, pos.cost_basis, pos.avg_cost, cash) == (100, D("1001.00"), D("10.01"), D("98999.00"))

    # And buying 50 @ 12.00: 600.00 + 0.60 -> basis 1601.60 over 150 shares
    e = apply_fill(pos, Side.BUY, 50, D("12.00"), bps)
    pos, cash = e.position, cash + e.cash_delta
    assert (pos.quantity, pos.cost_basis) == (150, D("1601.60"))
    assert pos.avg_cost.quantize(D("0.000001")) == D("10.677333")

    # And selling 60 @ 15.00: proceeds 900.00 - 0.90; basis removed 1601.60*60/150 = 640.64
    e = apply_fill(pos, Side.SELL, 60, D("15.00"), bps)
    pos, cash = e.position, cash + e.cash_delta
    assert e.commission == D("0.90")
    assert (pos.quantity, pos.cost_basis, pos.realized_pnl) == (90, D("960.96"), D("258.46"))
    assert pos.avg_cost.quantize(D("0.000001")) == D("10.677333")  # a sell does not move the average

    # And selling the last 90 @ 9.00: proceeds 810.00 - 0.81 = 809.19, all 960.96 of basis removed
    e = apply_fill(pos, Side.SELL, 90, D("9.00"), bps)
    pos, cash = e.position, cash + e.cash_delta

    # Then the position is flat, realized P&L is 258.46 - 151.77, and not a cent is lost
    assert (pos.quantity, pos.cost_basis, pos.realized_pnl) == (0, D("0"), D("106.69"))
    assert cash == D("100000") + pos.realized_pnl == D("100106.69")


def test_selling_more_than_held_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot sell 11, holding 10"):
        apply_fill(Position(symbol="IBM", quantity=10, cost_basis=D("1000")), Side.SELL, 11, D("1"), D("0"))


@pytest.mark.parametrize(
    ("weight", "equity", "px", "shares"),
    [(D("0.5"), D("10000"), D("99"), 50), (D("0"), D("10000"), D("99"), 0), (D("1"), D("100"), D("101"), 0)],
)
def test_shares_for_weight_never_exceeds_the_target(weight: D, equity: D, px: D, shares: int) -> None:
    assert shares_for_weight(weight, equity, px) == shares
    assert shares * px <= weight * equity


def test_portfolio_marks_positions_and_weights() -> None:
    positions = [
        Position(symbol="AAPL", quantity=10, cost_basis=D("1000.00"), realized_pnl=D("5")),
        Position(symbol="IBM", quantity=0, cost_basis=D("0"), realized_pnl=D("-2")),
    ]
    p = value_portfolio(
        "paper", __import__("datetime").datetime(2013, 1, 2), D("9000"), positions, {"AAPL": D("110"), "IBM": D("200")}
    )
    assert p.equity == D("10100.00") and p.positions_value == D("1100.00")
    aapl = p.positions[0]
    assert (aapl.market_value, aapl.unrealized_pnl, aapl.avg_cost) == (D("1100.00"), D("100.00"), D("100.0000"))
    assert aapl.weight == D("0.108911")
    assert p.realized_pnl == D("3.00")  # a closed position still reports what it realized
