"""HTTP plumbing shared by the three services: one error body, one resolver setup, raw-body checks."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from tradeloop_common.errors import TradeloopError
from tradeloop_common.observability import logger

MAX_BODY_BYTES = 64 * 1024
JSON_HEADER = "Content-Type: application/json"
ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details if details is not None else []}}


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(error_body(code, message, details)),
    )


def _raw_error(status: int, message: str, details: Any = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(error_body(ERROR_CODES.get(status, "error"), message, details)),
        "isBase64Encoded": False,
    }


def _field_fix(err: dict[str, Any], retired: Mapping[str, str]) -> dict[str, Any]:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(loc) or "body"
    msg = err.get("msg", "invalid")
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        fix = retired.get(field) or f"remove '{field}': this request has no such field (see GET /openapi.json)"
    elif kind == "missing":
        fix = f"add the required field '{field}'"
    elif kind in ("greater_than", "greater_than_equal"):
        fix = f"'{field}' must be {msg.removeprefix('Input should be ')}"
    elif kind == "finite_number":
        fix = f"'{field}' must be a finite number (not NaN or Infinity)"
    elif kind == "value_error":
        fix = f"'{field}': {msg.removeprefix('Value error, ')}"
    else:
        fix = f"'{field}': {msg}"
    return {"field": field, "issue": msg, "fix": fix}


def check_raw_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """Reject what OpenAPI validation would mishandle: oversized bodies, bodies not sent as JSON
    (``curl -d`` sends a form, which Powertools parses as one), and non-object JSON (Powertools 3.37
    silently validates only the first element of a JSON list)."""
    body = event.get("body")
    if body in (None, ""):
        return None
    content_type = {k.lower(): v for k, v in (event.get("headers") or {}).items()}.get("content-type", "")
    if content_type and not content_type.strip().lower().startswith("application/json"):
        return _raw_error(
            400,
            f"request body must be JSON; it was sent as {content_type!r}",
            [{"field": "content-type", "fix": f"send the header '{JSON_HEADER}' (curl: -H '{JSON_HEADER}')"}],
        )
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()
    if len(raw) > MAX_BODY_BYTES:
        return _raw_error(
            413,
            f"request body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}",
            [{"field": "body", "fix": f"send at most {MAX_BODY_BYTES} bytes"}],
        )
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return _raw_error(
            400,
            f"request body is not valid JSON: {exc}",
            [{"field": "body", "fix": 'send a JSON object, e.g. {"symbol": "AAPL", ...}'}],
        )
    if not isinstance(parsed, dict):
        return _raw_error(
            422,
            "request body must be a JSON object",
            [{"field": "body", "fix": f"send one JSON object, not a {type(parsed).__name__}"}],
        )
    return None


def build_resolver(retired_fields: Mapping[str, str] | None = None) -> APIGatewayHttpResolver:
    """The service's resolver; ``retired_fields`` maps a field the API no longer takes to the fix
    its 422 gives."""
    app = APIGatewayHttpResolver(enable_validation=True)
    retired = dict(retired_fields or {})

    @app.exception_handler(RequestValidationError)
    def _validation(exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(
                400, "bad_request", "request body is not valid JSON", [{"field": "body", "fix": "send a JSON object"}]
            )
        details = [_field_fix(e, retired) for e in errors]
        return error_response(422, "validation_error", "request failed validation", details)

    @app.exception_handler(TradeloopError)
    def _domain(exc: TradeloopError) -> Response:
        if exc.status >= 500:
            logger.exception("request failed")
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        event = app.current_event
        return error_response(
            404,
            "not_found",
            f"no route for {event.http_method} {event.path}",
            [{"field": "path", "fix": "see GET /openapi.json for the routes"}],
        )

    return app


def resolve_http(app: APIGatewayHttpResolver, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rejected = check_raw_body(event)
    if rejected is not None:
        return rejected
    return app.resolve(event, context)


def ok(body: Any, status: HTTPStatus = HTTPStatus.OK) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)
