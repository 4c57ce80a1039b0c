"""The kill-switch alarm (terraform/modules/observability) watches TradingHalted in the stack's
namespace with dimension service=order: the order service emits exactly that, 1 while HALTED."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

# A fresh interpreter, as a Lambda instance: the environment is set before the handler is imported.
INVOKE = """
import json, sys
from order_service.main import lambda_handler
from tradeloop_local.lambda_pool import LocalLambdaContext
from tradeloop_local.router import direct_http_event
event = direct_http_event("PUT", "/controls", json.dumps({"trading_state": sys.argv[1], "reason": "metric test"}))
response = lambda_handler(event, LocalLambdaContext("tradeloop-order"))
assert response["statusCode"] == 200, response
"""


def _emf_records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]


@pytest.mark.parametrize(("state", "expected"), [("HALTED", 1.0), ("ACTIVE", 0.0)])
def test_put_controls_emits_trading_halted_for_the_alarm(
    aws_env: dict[str, Any], fresh_account: Any, state: str, expected: float
) -> None:
    # Given the order function's environment (the stack's names, its service name and namespace)
    function = aws_env["info"].functions.get("order")
    env = {**os.environ, **(function.environment if function else {}), "POWERTOOLS_SERVICE_NAME": "order"}
    env.pop("POWERTOOLS_METRICS_DISABLED", None)
    env["AWS_ENDPOINT_URL"] = aws_env["endpoint_url"]
    # When the kill switch is set through PUT /controls
    proc = subprocess.run([sys.executable, "-c", INVOKE, state], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # Then one EMF record carries TradingHalted in the tradeloop namespace, dimension service=order
    records = [r for r in _emf_records(proc.stdout) if "TradingHalted" in r]
    assert len(records) == 1, proc.stdout[-3000:]
    directive = records[0]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "tradeloop"
    assert ["service"] in directive["Dimensions"] and records[0]["service"] == "order"
    # (Powertools writes a metric value as a one-element list)
    assert records[0]["TradingHalted"] in (expected, [expected])
