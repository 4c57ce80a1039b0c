"""What the OpenAPI document cannot say about valid input, taught to schemathesis's positive cases.

A schema-valid request may still be refused for what only the data knows; a generated positive case
is moved inside those rules before it is sent, so `positive_data_acceptance` keeps checking everything
else (a 422 for a known symbol, an in-window date or a whole quantity is still a failure):
- symbols: only those with market data (the sample's four); an unknown one is 422 by design;
- dates: inside the one window, 1970-01-01 to one day after now, and history's `from` <= `to`;
- next_token: only one a previous page returned; a generated one is 400 by design (forged tokens are
  covered in tests/integration/test_bad_input.py);
- the controls' reason: never blank, since resuming from HALTED needs one and whether a change
  resumes depends on the state before it (a blank one is 422 by design, tests/integration/test_controls*).
Negative cases are sent as generated.

Used by tests/integration/test_openapi_fuzz.py, and by the CLI:
`SCHEMATHESIS_HOOKS=tests.integration.schemathesis_hooks st run http://127.0.0.1:8080/openapi.json ...`."""

from __future__ import annotations

import zlib
from typing import Any

import schemathesis
from pydantic import TypeAdapter, ValidationError

from tradeloop_common.models.types import InWindow

SYMBOLS = ("AAPL", "GOOG", "IBM", "MSFT")
A_DATE_IN_THE_DATA = "2012-06-01"
_IN_WINDOW = TypeAdapter(InWindow)


def known_symbol(symbol: Any) -> str:
    """A symbol with market data, the same one for the same generated value (runs stay deterministic)."""
    return symbol if symbol in SYMBOLS else SYMBOLS[zlib.crc32(str(symbol).encode()) % len(SYMBOLS)]


def in_window(value: Any) -> Any:
    try:
        _IN_WINDOW.validate_python(value)
        return value
    except ValidationError:
        return A_DATE_IN_THE_DATA


def _fix_query(query: dict[str, Any]) -> None:
    query.pop("next_token", None)
    for bound in ("from", "to"):
        if bound in query:
            query[bound] = in_window(query[bound])
    if "from" in query and "to" in query:
        start, end = _IN_WINDOW.validate_python(query["from"]), _IN_WINDOW.validate_python(query["to"])
        if start > end:
            query["from"], query["to"] = query["to"], query["from"]


def _fix_body(body: dict[str, Any]) -> None:
    if "symbol" in body:
        body["symbol"] = known_symbol(body["symbol"])
    if isinstance(body.get("symbols"), list):
        body["symbols"] = [known_symbol(s) for s in body["symbols"]]
    if body.get("as_of") is not None:
        body["as_of"] = in_window(body["as_of"])
    if "trading_state" in body and not str(body.get("reason") or "").strip():
        body["reason"] = "fuzzed change"


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if isinstance(case.query, dict):
        _fix_query(case.query)
    if isinstance(case.body, dict):
        _fix_body(case.body)
