"""The local stand-in for API Gateway: routes from services/routes.json, HTTP API v2.0 events."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from tradeloop_common.api import BODY_METHODS, ERROR_CODES, MAX_BODY_BYTES, error_body, internal_error_body
from tradeloop_local.config import ROUTES_FILE
from tradeloop_local.lambda_pool import FunctionError, LambdaPool

# Not an API route (API Gateway has no such path): the local runtime's own liveness.
LOCAL_HEALTH_PATH = "/_local/health"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    service: str
    pattern: re.Pattern[str]

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


def load_routes(path: Path = ROUTES_FILE) -> list[Route]:
    spec = json.loads(path.read_text())
    routes = []
    for r in spec["routes"]:
        regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(r["path"])) + "$"
        routes.append(Route(r["method"], r["path"], r["service"], re.compile(regex)))
    return routes


def match(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(route, path parameters, path_known). path_known without a route means wrong method."""
    path_known = False
    for route in routes:
        m = route.pattern.match(path)
        if m:
            path_known = True
            if route.method == method:
                return route, m.groupdict(), True
    return None, {}, path_known


def direct_http_event(method: str, path: str, body: str | None = None) -> dict[str, Any]:
    """A minimal API Gateway HTTP API v2.0 event for a handler called in-process (benches, tests),
    shaped like the ones the router builds from real requests."""
    route_key = f"{method} {path}"
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "direct",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": body,
        "isBase64Encoded": False,
    }


def methods_for(routes: list[Route], path: str) -> list[str]:
    """The methods a path has (for a 405's Allow header)."""
    return sorted({route.method for route in routes if route.pattern.match(path)})


def http_api_event(route: Route, params: dict[str, str], body: bytes) -> dict[str, Any]:
    now = datetime.now(UTC)
    text_body: str | None
    is_b64 = False
    if not body:
        text_body = None
    else:
        try:
            text_body = body.decode()
        except UnicodeDecodeError:
            text_body, is_b64 = base64.b64encode(body).decode(), True
    query = {k: ",".join(request.args.getlist(k)) for k in request.args}
    return {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": request.path,
        "rawQueryString": request.query_string.decode(),
        "headers": {k.lower(): v for k, v in request.headers.items()},
        "queryStringParameters": query or None,
        "pathParameters": params or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.host,
            "http": {
                "method": route.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.user_agent.string,
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": text_body,
        "isBase64Encoded": is_b64,
    }


def _json_error(status: int, code: str, message: str, details: Any = None) -> Response:
    return Response(json.dumps(error_body(code, message, details)), status=status, mimetype="application/json")


def create_app(pools: dict[str, LambdaPool], routes: list[Route] | None = None) -> Flask:
    app = Flask("tradeloop-router")
    app.config["MAX_CONTENT_LENGTH"] = None  # we answer 413 ourselves, with the error body
    table = routes or load_routes()

    def no_route(path_known: bool) -> Response:
        if path_known:
            allowed = ", ".join(methods_for(table, request.path))
            response = _json_error(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {request.path}",
                [{"field": "method", "fix": f"use one of {allowed}"}],
            )
            response.headers["Allow"] = allowed  # RFC 9110: a 405 lists what is allowed
            return response
        return _json_error(
            404,
            "not_found",
            f"no route for {request.method} {request.path!r}",
            [{"field": "path", "fix": "see GET /openapi.json for the routes"}],
        )

    @app.errorhandler(HTTPException)
    def _refused_before_dispatch(exc: HTTPException) -> Response:
        # What Flask refuses before our dispatch (a method it does not route, such as TRACE, or a
        # newline in the path) is answered as dispatch would.
        if exc.code in (404, 405):
            return no_route(path_known=exc.code == 405 and bool(methods_for(table, request.path)))
        status = exc.code or 500
        return _json_error(status, ERROR_CODES.get(status, "error"), f"{exc.name}: {request.method} {request.path!r}")

    @app.route(LOCAL_HEALTH_PATH, methods=["GET"])
    def local_health() -> Response:
        # Liveness of the runtime process itself (`make up` checks it), answered without a function.
        return Response(json.dumps({"runtime": "up", "services": sorted(pools)}), mimetype="application/json")

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
    def dispatch(path: str) -> Response:
        started = time.perf_counter()
        route, params, path_known = match(table, request.method, request.path)
        if route is None:
            return no_route(path_known)
        body = request.get_data(cache=False)
        if request.method in BODY_METHODS and len(body) > MAX_BODY_BYTES:
            return _json_error(
                413,
                "payload_too_large",
                f"request body is {len(body)} bytes; limit {MAX_BODY_BYTES}",
                [{"field": "body", "fix": f"send at most {MAX_BODY_BYTES} bytes"}],
            )
        pool = pools.get(route.service)
        if pool is None:
            return _json_error(503, "service_unavailable", f"the {route.service} service is not running here")
        event = http_api_event(route, params, body)
        request_id = event["requestContext"]["requestId"]
        try:
            result = pool.invoke(event)
        except Exception as exc:  # a function error, a dead instance, a timeout: API Gateway answers 500 too
            trace = exc.payload.get("trace") if isinstance(exc, FunctionError) else repr(exc)
            app.logger.error("function error in %s (request %s): %s", route.service, request_id, trace)
            body_500 = json.dumps(internal_error_body(request_id))
            return Response(body_500, status=500, mimetype="application/json")
        resp_body = result.get("body") or ""
        data = base64.b64decode(resp_body) if result.get("isBase64Encoded") else resp_body.encode()
        response = Response(data, status=int(result.get("statusCode", 200)))
        for k, v in (result.get("headers") or {}).items():
            response.headers[k] = v
        response.headers["X-Tradeloop-Service"] = route.service
        response.headers["X-Tradeloop-Duration-Ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
        return response

    return app
