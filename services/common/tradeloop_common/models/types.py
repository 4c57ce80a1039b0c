"""Field types shared by the models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer

from tradeloop_common.clock import window_error

# Decimal inside (exact money), a JSON number outside: clients and charts want numbers, and every
# amount we store has at most 15 significant digits, so float round-trips it exactly.
JsonDecimal = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

SYMBOL_PATTERN = r"^[A-Z][A-Z0-9.\-]{0,9}$"

Symbol = Annotated[
    str,
    Field(pattern=SYMBOL_PATTERN, description="Ticker in upper case, e.g. AAPL", examples=["AAPL"]),
]


def _inside_window(at: datetime) -> datetime:
    error = window_error(at)
    if error is not None:
        raise ValueError(error)
    return at


# A time a caller gives us (decision time, history bound): inside the one accepted window (clock.py).
InWindow = Annotated[datetime, AfterValidator(_inside_window)]
