"""HTTP basic auth in front of every dashboard route except ``/healthz``.

Credentials: TRADELOOP_DASHBOARD_USER + TRADELOOP_DASHBOARD_PASSWORD, or the password read from
Secrets Manager (TRADELOOP_DASHBOARD_PASSWORD_SECRET_ARN; a plain string or JSON with
``password`` and optionally ``username``). Locally, with neither, auth is off (and logged);
with TRADELOOP_ENV=aws the dashboard refuses to start without a password: there is no default.

Whether login is on or off: no page may be framed by another site (X-Frame-Options, CSP
frame-ancestors), and a state-changing request (a Dash callback is a POST) whose Origin is another
site is refused (403), so a page elsewhere cannot flip the kill switch through a logged-in browser.
With login on, failed logins are throttled per client address (429 with Retry-After)."""

from __future__ import annotations

import hmac
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.config import DashboardSettings

log = logging.getLogger("tradeloop.dashboard")

DEFAULT_USER = "trader"
OPEN_PATHS = frozenset({"/healthz"})


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_FRAMING = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


class AuthConfigError(RuntimeError):
    pass


class LoginThrottle:
    """Failed logins per client address in a fixed window: after MAX_FAILURES in WINDOW_SECONDS the
    client is refused until its window ends, right password or not. One process holds the counts
    (the dashboard runs one gunicorn worker with threads)."""

    MAX_FAILURES = 10
    WINDOW_SECONDS = 300
    MAX_CLIENTS = 10_000  # forget expired windows beyond this many, so the table cannot grow without end

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # client -> (window start, failures)

    def retry_after(self, client: str) -> int | None:
        """Seconds the client must wait, or None when it may try."""
        with self._lock:
            start, failures = self._windows.get(client, (0.0, 0))
            left = start + self.WINDOW_SECONDS - self._clock()
            if failures >= self.MAX_FAILURES and left > 0:
                return max(1, math.ceil(left))
            return None

    def failed(self, client: str) -> None:
        with self._lock:
            now = self._clock()
            start, failures = self._windows.get(client, (now, 0))
            if now - start >= self.WINDOW_SECONDS:
                start, failures = now, 0
            self._windows[client] = (start, failures + 1)
            if len(self._windows) > self.MAX_CLIENTS:
                self._windows = {c: w for c, w in self._windows.items() if now - w[0] < self.WINDOW_SECONDS}


def _read_secret(arn: str) -> tuple[str | None, str]:
    import boto3

    value = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    try:
        doc: Any = json.loads(value)
    except ValueError:
        return None, value
    if isinstance(doc, dict) and doc.get("password"):
        return doc.get("username"), str(doc["password"])
    return None, value


def resolve_credentials(settings: DashboardSettings) -> tuple[str, str] | None:
    """(user, password), or None when auth is off. Raises AuthConfigError where that is not allowed."""
    user, password = settings.user, settings.password
    if not password and settings.password_secret_arn:
        try:
            secret_user, password = _read_secret(settings.password_secret_arn)
        except Exception as exc:  # noqa: BLE001 - any failure means: no password, do not start open
            raise AuthConfigError(
                f"cannot read the dashboard password from {settings.password_secret_arn}: {exc}"
            ) from exc
        user = user or secret_user
    if password:
        return user or DEFAULT_USER, password
    if settings.env == "aws":
        raise AuthConfigError(
            "TRADELOOP_ENV=aws and no dashboard password: set TRADELOOP_DASHBOARD_PASSWORD_SECRET_ARN "
            "(or TRADELOOP_DASHBOARD_USER/TRADELOOP_DASHBOARD_PASSWORD); refusing to start without login"
        )
    return None


def _foreign_origin() -> bool:
    """A state-changing request whose Origin names another site (absent Origin: not a browser's
    cross-site request, e.g. curl; "null": a sandboxed or opaque origin, foreign)."""
    origin = request.headers.get("Origin")
    if request.method in SAFE_METHODS or origin is None:
        return False
    return urlsplit(origin).netloc.lower() != request.host.lower()


def install(server: Flask, settings: DashboardSettings, throttle: LoginThrottle | None = None) -> bool:
    """Add ``/healthz``, the framing and Origin guards and, when configured, basic auth with a
    throttle on failed logins. Returns whether auth is on."""
    if settings.trusted_proxies:
        # Behind the load balancer the client is the last X-Forwarded-For hop it added.
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]

    @server.route("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @server.after_request
    def no_framing(response: Response) -> Response:
        for header, value in NO_FRAMING.items():
            response.headers.setdefault(header, value)
        return response

    @server.before_request
    def same_origin_only() -> Response | None:
        if _foreign_origin():
            log.warning("refused %s %s from origin %s", request.method, request.path, request.headers["Origin"])
            return Response("cross-site request refused", 403)
        return None

    creds = resolve_credentials(settings)
    if creds is None:
        log.warning("dashboard login is OFF (no TRADELOOP_DASHBOARD_PASSWORD): fine on localhost only")
        return False
    user, password = creds
    guard = throttle or LoginThrottle()
    log.info("dashboard login is on (HTTP basic auth, user %r)", user)

    @server.before_request
    def require_login() -> Response | None:
        if request.path in OPEN_PATHS:
            return None
        client = request.remote_addr or "unknown"
        wait = guard.retry_after(client)
        if wait is not None:
            return Response("too many failed logins: wait and retry", 429, {"Retry-After": str(wait)})
        auth = request.authorization
        if (
            auth is not None
            and auth.type == "basic"
            and hmac.compare_digest((auth.username or "").encode(), user.encode())
            and hmac.compare_digest((auth.password or "").encode(), password.encode())
        ):
            return None
        if auth is not None:  # a wrong guess; a request without credentials is the browser's first ask
            guard.failed(client)
            log.warning("failed dashboard login from %s", client)
        return Response(
            "login required", 401, {"WWW-Authenticate": 'Basic realm="tradeloop dashboard", charset="UTF-8"'}
        )

    return True
