"""Merge the four services' OpenAPI documents into the one the API serves (GET /openapi.json).

Generated from the route models, committed, and checked for drift by the tests."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any

from tradeloop_local.config import REPO_ROOT

SPEC_FILE = REPO_ROOT / "services" / "common" / "tradeloop_common" / "openapi.json"
SERVICE_APPS = {
    "portfolio": "portfolio_service.handlers.api",
    "order": "order_service.handlers.api",
    "signal": "signal_service.handlers.api",
    "marketdata": "marketdata_service.handlers.api",
}


# How API Gateway guards every route in AWS (Terraform: authorization_type = "AWS_IAM"). OpenAPI has
# no SigV4 scheme type; this is the form API Gateway itself imports and exports.
SECURITY_SCHEMES = {
    "sigv4": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "x-amazon-apigateway-authtype": "awsSigv4",
        "description": "AWS Signature Version 4 (service execute-api) with credentials allowed to invoke the API "
        "(execute-api:Invoke): every route is AWS_IAM in AWS, and API Gateway answers a missing or bad "
        "signature with 403 before any service runs. The local router (make up) stands in for API Gateway "
        "on 127.0.0.1 and does not authenticate.",
    }
}
# What API Gateway itself may answer on any route, in its own body shape (not the services' error body).
GATEWAY_RESPONSES = {
    "403": "Missing or invalid SigV4 signature, or credentials not allowed to invoke the API (AWS only)",
    "429": "Throttled by API Gateway (AWS only); retry with backoff",
}
GATEWAY_ERROR = {
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
    "description": 'API Gateway\'s own error body, e.g. {"message": "Forbidden"}',
}
# Powertools documents a 422 of its own shape on every route; ours declare the error body instead.
POWERTOOLS_422 = "#/components/schemas/HTTPValidationError"


def _finish_operation(path: str, method: str, op: dict[str, Any]) -> None:
    """Add the gateway's responses; drop Powertools' default 422 where a route has no input to
    validate, and refuse a route with input that does not document its own 422."""
    responses = op.setdefault("responses", {})
    schema = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("$ref") == POWERTOOLS_422:
        if op.get("parameters") or op.get("requestBody"):
            raise ValueError(f"{method.upper()} {path} takes input but does not document its 422 (use responses())")
        del responses["422"]
    for status, description in GATEWAY_RESPONSES.items():
        responses[status] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GatewayError"}}},
        }
    op["responses"] = dict(sorted(responses.items()))


def build_spec() -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "tradeloop API",
            "version": "1",
            "description": "Orders, portfolio, signals and controls of the tradeloop paper account. "
            'Errors: {"error": {"code", "message", "details": [{"field", "fix"}]}} (ErrorBody); '
            "405 (with Allow) on a known path with another method, 404 on an unknown path. "
            "In AWS every route needs a SigV4 signature (see securitySchemes).",
        },
        "security": [{"sigv4": []}],
        "paths": {},
        "components": {"schemas": {"GatewayError": GATEWAY_ERROR}, "securitySchemes": SECURITY_SCHEMES},
    }
    for service, module in SERVICE_APPS.items():
        app = importlib.import_module(module).app
        spec = json.loads(app.get_openapi_json_schema(title=f"tradeloop {service}", version="1"))
        for path, ops in spec.get("paths", {}).items():
            for method, op in ops.items():
                op.setdefault("tags", [service])
                _finish_operation(path, method, op)
            merged["paths"].setdefault(path, {}).update(ops)
        merged["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
    text = json.dumps(merged["paths"])
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"#/components/schemas/{unused}" not in text:
            merged["components"]["schemas"].pop(unused, None)
    merged["paths"] = dict(sorted(merged["paths"].items()))
    merged["components"]["schemas"] = dict(sorted(merged["components"]["schemas"].items()))
    return merged


def render() -> str:
    return json.dumps(build_spec(), indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write or check services/common/tradeloop_common/openapi.json")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed document is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not SPEC_FILE.exists() or SPEC_FILE.read_text() != text:
            print(f"{SPEC_FILE.relative_to(REPO_ROOT)} is stale: run `make openapi` and commit it", file=sys.stderr)
            return 1
        print("openapi.json is up to date")
        return 0
    SPEC_FILE.write_text(text)
    print(f"wrote {SPEC_FILE.relative_to(REPO_ROOT)} ({len(json.loads(text)['paths'])} paths)")
    return 0
