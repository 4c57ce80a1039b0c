"""The API against its own OpenAPI document: schemathesis generates requests for every operation from
the document the local router serves, and checks every answer: no server error, every status and
body documented, invalid input refused, valid input accepted. Bounded and derandomized, so the run
is the same every time (~25 examples per operation).

Two auth checks are left out: they assert that requests without a SigV4 signature are refused, which
API Gateway does in AWS (AWS_IAM on every route), and the local router, standing in for it on
127.0.0.1, deliberately does not."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from tests.integration import schemathesis_hooks  # noqa: F401 - registers the positive-case rules
from tradeloop_local.fuzzing import configure
from tradeloop_local.openapi import SPEC_FILE

# schemathesis's lazy loader (`from_fixture`) does not run under pytest 9 (it writes `node._nodeid`), so
# the document is loaded from the committed file, and the first test proves it is the one served.
# Sent with every request, as `st run -H` would: the header the document names; then no case is
# generated that leaves it out (the router would accept it, API Gateway would not).
schema = configure(schemathesis.openapi.from_path(SPEC_FILE))


def test_the_document_fuzzed_is_the_one_the_router_serves(local_api: str) -> None:
    assert requests.get(f"{local_api}/openapi.json", timeout=30).json() == json.loads(SPEC_FILE.read_text())


@pytest.fixture
def fuzzed_account(fresh_account: Callable[..., None]) -> Iterator[None]:
    """A fresh account, reset again afterwards: fuzzing places orders, halts trading, writes signals."""
    yield
    fresh_account(Decimal("100000"))


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_documented_and_never_5xx(case: Any, local_api: str, fuzzed_account: None) -> None:
    # Given a request generated from the served document (valid or deliberately invalid)
    # When it is sent; Then the answer conforms to the document (status, content type, body schema),
    # is not a server error, refuses invalid input and accepts valid input
    case.call_and_validate(base_url=local_api)
