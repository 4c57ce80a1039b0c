"""The dashboard's API client and login, without a browser or a running API."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import requests
from flask import Flask

from dashboard import auth
from dashboard.client import HINT_NO_MODEL, HINT_NO_SIGNALS, HINT_START_STACK, ApiClient, ApiError, new_client_order_id
from dashboard.config import DashboardSettings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


class FakeSession:
    """Stands in for requests.Session: records prepared requests, answers canned responses."""

    def __init__(self, status: int = 200, body: Any = None, raw: bytes | None = None, exc: Exception | None = None):
        self.status, self.body, self.raw, self.exc = status, body, raw, exc
        self.sent: list[requests.PreparedRequest] = []

    def send(self, prepared: requests.PreparedRequest, timeout: float) -> requests.Response:
        self.sent.append(prepared)
        if self.exc:
            raise self.exc
        resp = requests.Response()
        resp.status_code = self.status
        resp._content = self.raw if self.raw is not None else json.dumps(self.body).encode()
        return resp


def client_with(session: FakeSession, **settings: Any) -> ApiClient:
    return ApiClient(DashboardSettings(api_url="http://api.test", **settings), session_factory=lambda: session)


def test_api_down_becomes_a_friendly_message_with_what_to_run() -> None:
    # Given nothing listens on the API port
    client = ApiClient(DashboardSettings(api_url=f"http://127.0.0.1:{_closed_port()}", api_timeout=2))
    # When the dashboard asks for the portfolio
    with pytest.raises(ApiError) as info:
        client.portfolio()
    # Then the error says what happened and what to run, and nothing else
    err = info.value
    assert err.unreachable and err.status is None
    assert "is not reachable" in err.message and "127.0.0.1" in err.message
    assert err.hint == HINT_START_STACK and "make up" in err.text
    assert "Traceback" not in str(err) and "HTTPConnectionPool" not in str(err)


def test_timeout_becomes_a_friendly_message() -> None:
    client = client_with(FakeSession(exc=requests.ReadTimeout("slow")), api_timeout=3)
    with pytest.raises(ApiError) as info:
        client.controls()
    assert "did not answer within 3 s" in info.value.message and info.value.hint == HINT_START_STACK


def test_error_body_maps_to_message_with_the_fixes() -> None:
    body = {
        "error": {
            "code": "unknown_symbol",
            "message": "unknown symbol 'ZZZ'",
            "details": [{"field": "symbol", "fix": "use a symbol with market data"}],
        }
    }
    client = client_with(FakeSession(422, body))
    with pytest.raises(ApiError) as info:
        client.create_order("ZZZ", "BUY", 5)
    err = info.value
    assert (err.status, err.code) == (422, "unknown_symbol")
    assert err.message == "unknown symbol 'ZZZ' (use a symbol with market data)"
    assert err.hint is None


def test_non_json_answer_is_explained() -> None:
    client = client_with(FakeSession(200, raw=b"<html>proxy</html>"))
    with pytest.raises(ApiError) as info:
        client.portfolio()
    assert "not JSON" in info.value.message and "TRADELOOP_API_URL" in (info.value.hint or "")


@pytest.mark.parametrize("status", [404, 500, 502, 503])
def test_signal_service_missing_or_failing_says_how_to_get_signals(status: int) -> None:
    body = {"error": {"code": "service_unavailable", "message": "the signal service is not running here"}}
    with pytest.raises(ApiError) as info:
        client_with(FakeSession(status, body)).signals()
    assert info.value.hint == HINT_NO_SIGNALS and "make train-and-publish" in info.value.text
    with pytest.raises(ApiError) as info:
        client_with(FakeSession(status, body)).current_model()
    assert info.value.hint == HINT_NO_MODEL


def test_forbidden_hints_at_sigv4() -> None:
    with pytest.raises(ApiError) as info:
        client_with(FakeSession(403, {"message": "Forbidden"})).portfolio()
    assert info.value.message == "Forbidden" and "TRADELOOP_API_SIGV4" in (info.value.hint or "")


def test_signals_accepts_wrapped_and_bare_lists() -> None:
    rows = [{"symbol": "AAPL", "probability": 0.6}]
    assert client_with(FakeSession(200, {"signals": rows, "next_token": None})).signals() == rows
    assert client_with(FakeSession(200, rows)).signals() == rows


def test_orders_follow_next_token_up_to_the_cap() -> None:
    pages = iter(
        [{"orders": [{"order_id": "1"}, {"order_id": "2"}], "next_token": "t1"}, {"orders": [{"order_id": "3"}]}]
    )

    class Paged(FakeSession):
        def send(self, prepared: requests.PreparedRequest, timeout: float) -> requests.Response:
            self.body = next(pages)
            return super().send(prepared, timeout)

    session = Paged()
    orders = client_with(session).orders(symbol="AAPL", status=None, max_orders=10, page_size=2)
    assert [o["order_id"] for o in orders] == ["1", "2", "3"]
    assert "symbol=AAPL" in session.sent[0].url and "status" not in session.sent[0].url
    assert "next_token=t1" in session.sent[1].url


def test_manual_order_body_has_a_fresh_client_order_id() -> None:
    session = FakeSession(201, {"status": "FILLED"})
    client = client_with(session)
    client.create_order("AAPL", "BUY", 10)
    client.create_order("AAPL", "BUY", 10)
    first, second = (json.loads(p.body) for p in session.sent)
    assert first["client_order_id"] != second["client_order_id"]
    # and no price of its own: fills come from market data
    assert first == {
        "client_order_id": first["client_order_id"],
        "symbol": "AAPL",
        "side": "BUY",
        "quantity": 10,
        "type": "market",
    }
    assert session.sent[0].headers["Content-Type"] == "application/json"
    import re

    assert re.fullmatch(r"[A-Za-z0-9_\-:.]{1,64}", new_client_order_id())


def test_sigv4_signs_for_execute_api(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given AWS credentials in the environment and SigV4 on
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-123")
    session = FakeSession(200, {"orders": []})
    client = client_with(session, api_sigv4=True, aws_region="eu-west-1")
    # When a request is made
    client.orders(status="FILLED", max_orders=5)
    # Then it carries a SigV4 signature for execute-api in that region, over the query string too
    headers = session.sent[0].headers
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "token-123" and "X-Amz-Date" in headers
    assert "status=FILLED" in session.sent[0].url


def test_plain_http_locally_has_no_signature() -> None:
    session = FakeSession(200, {})
    client_with(session).portfolio()
    assert "Authorization" not in session.sent[0].headers


# ------------------------------------------------------------------------------ login


def _app(**settings: Any) -> Flask:
    app = Flask("t")
    app.add_url_rule("/", "index", lambda: "ok")
    auth.install(app, DashboardSettings(**settings))
    return app


def test_login_off_locally_without_password_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = _app()
    assert app.test_client().get("/").status_code == 200
    assert "login is OFF" in caplog.text


def test_login_on_with_user_and_password() -> None:
    client = _app(user="ops", password="pw-123").test_client()
    denied = client.get("/")
    assert denied.status_code == 401 and denied.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get("/", auth=("ops", "nope")).status_code == 401
    assert client.get("/", auth=("ops", "pw-123")).status_code == 200
    assert client.get("/healthz").status_code == 200  # health needs no login


def test_aws_without_password_refuses_to_start() -> None:
    with pytest.raises(auth.AuthConfigError, match="refusing to start"):
        _app(env="aws")


def test_password_from_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dash"
    monkeypatch.setattr(auth, "_read_secret", lambda a: ("desk", "from-secret") if a == arn else (None, ""))
    client = _app(env="aws", password_secret_arn=arn).test_client()
    assert client.get("/", auth=("desk", "from-secret")).status_code == 200
    assert client.get("/").status_code == 401


def test_unreadable_secret_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(_arn: str) -> tuple[None, str]:
        raise RuntimeError("AccessDenied")

    monkeypatch.setattr(auth, "_read_secret", boom)
    with pytest.raises(auth.AuthConfigError, match="AccessDenied"):
        _app(env="aws", password_secret_arn="arn:x")


def test_settings_from_env() -> None:
    s = DashboardSettings.from_env(
        {
            "TRADELOOP_API_URL": "http://x:1/",
            "TRADELOOP_API_SIGV4": "true",
            "TRADELOOP_DASHBOARD_REFRESH_SECONDS": "7",
            "TRADELOOP_ENV": "AWS",
        }
    )
    assert (s.api_url, s.api_sigv4, s.refresh_seconds, s.env) == ("http://x:1", True, 7, "aws")
    assert DashboardSettings.from_env({"TRADELOOP_DASHBOARD_REFRESH_SECONDS": "soon"}).refresh_seconds == 15
