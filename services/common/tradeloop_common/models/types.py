"""Field types shared by the models."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

# Decimal inside (exact money), a JSON number outside: clients and charts want numbers, and every
# amount we store has at most 15 significant digits, so float round-trips it exactly.
JsonDecimal = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

SYMBOL_PATTERN = r"^[A-Z][A-Z0-9.\-]{0,9}$"

Symbol = Annotated[
    str,
    Field(pattern=SYMBOL_PATTERN, description="Ticker in upper case, e.g. AAPL", examples=["AAPL"]),
]
