"""schemathesis over the API's own OpenAPI document, and what the document cannot say about valid
input, taught to its positive cases.

A schema-valid request may still be refused for what only the data knows; a generated positive case
is moved inside those rules before it is sent, so `positive_data_acceptance` keeps checking everything
else (a 422 for a known symbol, an in-window date or a whole quantity is still a failure):
- symbols: only those with market data (the sample's four); an unknown one is 422 by design;
- dates: inside the one window, 1970-01-01 to one day after now, and history's `from` <= `to`;
- next_token: only one a previous page returned; a generated one is 400 by design (forged tokens are
  covered in tests/integration/test_bad_input.py);
- a change of the trading state carries a reason, never blank: resuming from HALTED without one is 422
  by design, and whether a change resumes depends on the state before it (tests/integration/test_controls*).
Negative cases are sent as generated.

Two checks are left out: `ignored_auth` and `missing_required_header` assert that requests without a
SigV4 signature are refused, which API Gateway does in AWS (AWS_IAM on every route) and the local
router, standing in for it on 127.0.0.1, deliberately does not. Every request carries the header the
document names.

Used by tests/integration/test_openapi_fuzz.py (through tests/integration/schemathesis_hooks.py), by
the reliability harness (:func:`fuzz_api`), and by the CLI:
`SCHEMATHESIS_HOOKS=tests.integration.schemathesis_hooks st run http://127.0.0.1:8080/openapi.json ...`."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from pydantic import TypeAdapter, ValidationError

from tradeloop_common.models.types import InWindow

SYMBOLS = ("AAPL", "GOOG", "IBM", "MSFT")
A_DATE_IN_THE_DATA = "2012-06-01"
SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=local/execute-api"}  # the header the document names
AUTH_CHECKS = ("ignored_auth", "missing_required_header")
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
    if "trading_state" in body and not str(body.get("reason") or "").strip():
        # Resuming from HALTED needs a reason (not blank), and whether the account is HALTED only the
        # state knows.
        body["reason"] = "schemathesis: a change of state says why"
    if "symbol" in body:
        body["symbol"] = known_symbol(body["symbol"])
    if isinstance(body.get("symbols"), list):
        body["symbols"] = [known_symbol(s) for s in body["symbols"]]
    if body.get("as_of") is not None:
        body["as_of"] = in_window(body["as_of"])


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if isinstance(case.query, dict):
        _fix_query(case.query)
    if isinstance(case.body, dict):
        _fix_body(case.body)


def configure(schema: Any) -> Any:
    """Every check but the two about auth; the signed header on every request."""
    schema.config.update(headers=SIGNED)
    schema.config.checks.update(included_check_names=["all"], excluded_check_names=list(AUTH_CHECKS))
    return schema


@dataclass
class FuzzResult:
    requests: int = 0
    server_errors: int = 0
    violations: int = 0
    failures: list[str] = field(default_factory=list)


def fuzz_api(api_url: str, examples: int = 25) -> FuzzResult:
    """Every operation of the document the API serves, ``examples`` positive and ``examples``
    negative cases each (derandomized: the same requests every run); every answer checked."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable

    schema = configure(schemathesis.openapi.from_url(f"{api_url}/openapi.json"))
    result = FuzzResult()

    def check(case: Any, where: str) -> None:
        result.requests += 1
        response = case.call(base_url=api_url, timeout=60)
        if response.status_code >= 500:
            result.server_errors += 1
        try:
            case.validate_response(response)
        except Exception as exc:  # noqa: BLE001 - each failed check is counted, the run goes on
            if response.status_code < 500:
                result.violations += 1
            result.failures.append(f"{where}: {str(exc).strip().splitlines()[0][:200]}")

    def _hypothesis_test(strategy: Any, where: str) -> Callable[[], None]:
        def test(case: Any) -> None:
            check(case, where)

        return run_settings(given(strategy)(test))

    run_settings = settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    for operation in schema.get_all_operations():
        op = operation.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            try:
                _hypothesis_test(op.as_strategy(generation_mode=mode), f"{op.label} ({mode.value})")()
            except Unsatisfiable:
                pass  # e.g. no negative case for an operation without parameters
    return result
