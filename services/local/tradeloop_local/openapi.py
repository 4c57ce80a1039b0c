"""Merge the three services' OpenAPI documents into the one the API serves (GET /openapi.json).

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
}


def build_spec() -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "tradeloop API",
            "version": "1",
            "description": "Orders, portfolio, signals and controls of the tradeloop paper account. "
            'Errors: {"error": {"code", "message", "details"}}.',
        },
        "paths": {},
        "components": {"schemas": {}},
    }
    for service, module in SERVICE_APPS.items():
        try:
            app = importlib.import_module(module).app
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(module.split(".")[0]):
                continue  # that service is not built yet
            raise
        spec = json.loads(app.get_openapi_json_schema(title=f"tradeloop {service}", version="1"))
        for path, ops in spec.get("paths", {}).items():
            for op in ops.values():
                op.setdefault("tags", [service])
            merged["paths"].setdefault(path, {}).update(ops)
        merged["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
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
