"""Field types shared by the models."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, GetJsonSchemaHandler, PlainSerializer, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue

from tradeloop_common.clock import window_error

# Decimal inside (exact money), a JSON number outside: clients and charts want numbers, and every
# amount we store has at most 15 significant digits, so float round-trips it exactly.
JsonDecimal = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


def number_only(value: Any) -> Any:
    """A limit is a JSON number: pydantic would also take "1e-200" as text, which the schema cannot
    describe with bounds (put this after the Field in ``Annotated``, or the schema loses its bounds)."""
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number, not a string or a boolean")
    return value


class NumberSchema:
    """Document a Decimal as the JSON number it is (pydantic says "number or any string")."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        numbers = [branch for branch in schema.get("anyOf", []) if branch.get("type") == "number"]
        if len(numbers) != 1:
            return schema
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, **numbers[0]}


SYMBOL_PATTERN = r"^[A-Z][A-Z0-9.\-]{0,9}$"

Symbol = Annotated[
    str,
    Field(pattern=SYMBOL_PATTERN, description="Ticker in upper case, e.g. AAPL", examples=["AAPL"]),
]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_only(value: Any) -> Any:
    """Pydantic would take 0.5 or "1e9" as seconds since 1970; we take ISO 8601 text (or a datetime)."""
    if isinstance(value, datetime | date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("must be an ISO 8601 date or date-time, e.g. 2012-06-01 or 2012-06-01T21:00:00Z")


def _inside_window(at: datetime) -> datetime:
    """``at`` as an aware time (naive means UTC, so any two bounds compare), if inside the window."""
    error = window_error(at)
    if error is not None:
        raise ValueError(error)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


# A time a caller gives us (decision time, history bound): ISO text inside the one accepted window
# (clock.py). Dates are taken too, so the schema says both.
InWindow = Annotated[
    datetime,
    BeforeValidator(_iso_only),
    AfterValidator(_inside_window),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}),
]
