"""Log lines describe the request that wrote them: keys appended for one request (the order's
client_order_id) must not ride along on the next request a warm instance serves."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.utils import LambdaContextStub, http_event, order_body
from tradeloop_common.observability import logger


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    """What the services' logger writes, formatted as in Lambda. (Its own handler holds whatever
    sys.stdout was when the module was first imported in this process, maybe another test's capture.)"""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        yield buffer
    finally:
        logger.removeHandler(handler)


def _log_lines(log: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.startswith("{")]
    log.seek(0)
    log.truncate()
    return lines


def test_next_request_logs_carry_no_client_order_id_of_an_earlier_order(
    aws_env: dict[str, Any], fresh_account: Any, service_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In this process the handler module may have been imported before the emulator existed (the
    # OpenAPI test builds the document from it), with an idempotency store that has no credentials.
    monkeypatch.setenv("POWERTOOLS_IDEMPOTENCY_DISABLED", "true")
    from order_service.handlers.api import lambda_handler

    # Given a warm order instance that has placed an order (its key appended to the logger)
    placed = lambda_handler(
        http_event("POST", "/orders", order_body("IBM", "BUY", 1, client_order_id="log-key-1")), LambdaContextStub()
    )
    assert placed["statusCode"] == 201, placed
    assert any(line.get("client_order_id") == "log-key-1" for line in _log_lines(service_log))
    # When the same instance serves another request
    changed = lambda_handler(http_event("PUT", "/controls", {"trading_state": "REDUCE_ONLY"}), LambdaContextStub())
    assert changed["statusCode"] == 200, changed
    # Then its log lines do not carry the earlier order's key
    lines = _log_lines(service_log)
    assert any(line.get("message") == "controls changed" for line in lines)
    assert all("client_order_id" not in line for line in lines), lines


def test_every_lambda_entry_point_clears_the_logger_state_per_invocation() -> None:
    # The test above proves it for one; this keeps every entry point from forgetting it
    from pathlib import Path

    services = Path(__file__).resolve().parents[2] / "services"
    uses = [
        (path.relative_to(services), line.strip())
        for path in services.rglob("*.py")
        for line in path.read_text().splitlines()
        if line.strip().startswith("@logger.inject_lambda_context")
    ]
    assert len(uses) >= 6 and all("clear_state=True" in line for _, line in uses), uses
