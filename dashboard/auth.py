"""HTTP basic auth in front of every dashboard route except ``/healthz``.

Credentials: TRADELOOP_DASHBOARD_USER + TRADELOOP_DASHBOARD_PASSWORD, or the password read from
Secrets Manager (TRADELOOP_DASHBOARD_PASSWORD_SECRET_ARN; a plain string or JSON with
``password`` and optionally ``username``). Locally, with neither, auth is off (and logged);
with TRADELOOP_ENV=aws the dashboard refuses to start without a password: there is no default."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from flask import Flask, Response, jsonify, request

from dashboard.config import DashboardSettings

log = logging.getLogger("tradeloop.dashboard")

DEFAULT_USER = "trader"
OPEN_PATHS = frozenset({"/healthz"})


class AuthConfigError(RuntimeError):
    pass


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


def install(server: Flask, settings: DashboardSettings) -> bool:
    """Add ``/healthz`` and, when configured, basic auth. Returns whether auth is on."""

    @server.route("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    creds = resolve_credentials(settings)
    if creds is None:
        log.warning("dashboard login is OFF (no TRADELOOP_DASHBOARD_PASSWORD): fine on localhost only")
        return False
    user, password = creds
    log.info("dashboard login is on (HTTP basic auth, user %r)", user)

    @server.before_request
    def require_login() -> Response | None:
        if request.path in OPEN_PATHS:
            return None
        auth = request.authorization
        if (
            auth is not None
            and auth.type == "basic"
            and hmac.compare_digest((auth.username or "").encode(), user.encode())
            and hmac.compare_digest((auth.password or "").encode(), password.encode())
        ):
            return None
        return Response(
            "login required", 401, {"WWW-Authenticate": 'Basic realm="tradeloop dashboard", charset="UTF-8"'}
        )

    return True
