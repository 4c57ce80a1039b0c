"""What the OpenAPI document cannot say about valid input, taught to schemathesis's positive cases:
the rules and the hook live in tradeloop_local.fuzzing (the reliability harness fuzzes with them too);
importing this module registers them.

Used by tests/integration/test_openapi_fuzz.py, and by the CLI:
`SCHEMATHESIS_HOOKS=tests.integration.schemathesis_hooks st run http://127.0.0.1:8080/openapi.json ...`."""

from __future__ import annotations

from tradeloop_local.fuzzing import A_DATE_IN_THE_DATA, SYMBOLS, before_call, in_window, known_symbol

__all__ = ["A_DATE_IN_THE_DATA", "SYMBOLS", "before_call", "in_window", "known_symbol"]
