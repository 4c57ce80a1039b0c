"""HTTP plumbing shared by the three services: one error body, one resolver setup, raw-body checks."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

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


# ---- the error body, as documented in OpenAPI ------------------------------------------------


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # some details add context, e.g. existing_order_id, request_id

    field: str = Field(description="The field, parameter or header at fault ('body': the whole body)")
    fix: str = Field(description="What to send instead")
    issue: str | None = Field(default=None, description="What is wrong with it, when that is not the fix")


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable, machine-readable, e.g. validation_error, not_found")
    message: str
    details: list[ErrorDetail]


class ErrorBody(BaseModel):
    """Every 4xx and 5xx this API answers itself (not API Gateway's own 403/429)."""

    error: ErrorInfo


ERROR_DESCRIPTIONS = {
    400: "Malformed: invalid JSON, a body not sent as application/json, a body nested more than 32 deep, "
    "or a next_token this API did not issue",
    404: "Not found",
    409: "Conflict",
    413: "Body over 64 KiB",
    422: "Failed validation: details name each field and the fix",
    500: "Internal error: the body gives the request id to look up in the logs, never the exception",
    503: "A data store is unavailable or throttled (locally: the service is not running); retry",
}
BODY_ERRORS = (400, 413, 422)  # what any route with a JSON body can answer before it runs
ANY_ROUTE_ERRORS = (500, 503)


def responses(
    success: int, description: str, *errors: int, notes: Mapping[int, str] | None = None
) -> dict[int, OpenAPIResponse]:
    """A route's documented responses: its success, the errors it lists, and 500/503 (any route),
    each error with the error body schema. ``notes`` replaces an error's generic description."""
    documented: dict[int, OpenAPIResponse] = {success: {"description": description}}
    for status in sorted({*errors, *ANY_ROUTE_ERRORS}):
        documented[status] = {
            "description": (notes or {}).get(status, ERROR_DESCRIPTIONS[status]),
            "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}},
        }
    return documented


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
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        fix = f"'{field}' must be {msg.removeprefix('Input should be ')}"
    elif kind == "finite_number":
        fix = f"'{field}' must be a finite number (not NaN or Infinity)"
    elif kind == "value_error":
        fix = f"'{field}': {msg.removeprefix('Value error, ')}"
    else:
        fix = f"'{field}': {msg}"
    return {"field": field, "issue": msg, "fix": fix}


MAX_DEPTH = 32  # deeper than any request we define; json.loads recurses, so 10,000 levels raise RecursionError
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests arrays/objects deeper than ``limit``, found without parsing it
    (a linear scan that skips strings; a regex over strings can go quadratic on escaped quotes)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or media.endswith("+json")


def _not_json(content_type: str) -> dict[str, Any]:
    """A body not sent as JSON (``curl -d`` sends a form, which Powertools would parse as one)."""
    return _raw_error(
        400,
        f"request body must be JSON; it was sent as {content_type!r}",
        [{"field": "content-type", "fix": f"send the header '{JSON_HEADER}' (curl: -H '{JSON_HEADER}')"}],
    )


def check_raw_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """Reject, before any recursive parser sees it, what validation would mishandle: a body of the
    wrong media type, oversized or nested too deep, and non-object JSON (Powertools 3.37 silently
    validates only the first element of a JSON list). A GET's body is ignored, as the routes do."""
    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", "")).upper()
    body = event.get("body")
    if (method and method not in BODY_METHODS) or body in (None, ""):
        return None
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "")
    if not _is_json(content_type):
        return _not_json(content_type)
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()
    if len(raw) > MAX_BODY_BYTES:
        return _raw_error(
            413,
            f"request body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}",
            [{"field": "body", "fix": f"send at most {MAX_BODY_BYTES} bytes"}],
        )
    if _too_deep(raw):
        return _raw_error(
            400,
            f"request body nests arrays or objects more than {MAX_DEPTH} deep",
            [{"field": "body", "fix": f"send a flat JSON object (at most {MAX_DEPTH} levels of nesting)"}],
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


def internal_error_body(request_id: str) -> dict[str, Any]:
    """A 500's body: that it happened and which request to look up in the logs, never the exception's
    text (it names code, files and data a client has no business seeing)."""
    return error_body(
        "internal_error",
        "internal error; it is logged under this request id",
        [{"field": "request", "fix": "retry later; if it persists, report the request_id", "request_id": request_id}],
    )


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

    @app.exception_handler(RequestUnsupportedContentType)
    def _media_type(exc: RequestUnsupportedContentType) -> Response:
        # check_raw_body refuses these first; without this handler the catch-all below would make it a 500
        rejected = _not_json(str(app.current_event.headers.get("content-type", "")))
        return Response(status_code=400, content_type=content_types.APPLICATION_JSON, body=rejected["body"])

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Anything else is our bug: log it whole, answer without it (handlers above are more specific).
        logger.exception("unhandled error")
        request_id = str(app.current_event.request_context.request_id or "")
        return Response(
            status_code=500,
            content_type=content_types.APPLICATION_JSON,
            body=json.dumps(internal_error_body(request_id)),
        )

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


def caller(event: Any) -> str:
    """Who sent an HTTP API request: the IAM identity API Gateway authenticated (AWS_IAM routes),
    or "api" where nothing authenticates it (the local router)."""
    raw = getattr(event, "raw_event", event) or {}
    identity = ((raw.get("requestContext") or {}).get("authorizer") or {}).get("iam") or {}
    return str(identity.get("userArn") or "api")
