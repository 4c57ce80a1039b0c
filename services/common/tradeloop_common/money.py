"""Decimal money rules: one place decides how prices, cash and commissions round."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
PRICE_TICK = Decimal("0.0001")
BPS = Decimal("10000")
ZERO = Decimal("0")


def to_decimal(value: object) -> Decimal:
    """Decimal from int/str/float/Decimal; floats go through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(str(value))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price(value: Decimal) -> Decimal:
    return value.quantize(PRICE_TICK, rounding=ROUND_HALF_UP)


def bps_of(amount: Decimal, bps: Decimal) -> Decimal:
    return amount * bps / BPS
