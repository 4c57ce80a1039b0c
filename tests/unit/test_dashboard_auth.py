"""The dashboard's front door: guessing the password is throttled, no page can be framed, and a
state-changing request from another site is refused. Against the Flask server with its test client."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from dashboard import auth
from dashboard.config import DashboardSettings

USER, PASSWORD = "ops", "pw-123"
CALLBACK = "/_dash-update-component"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _server(clock: Clock | None = None, **settings: Any) -> Flask:
    server = Flask("t")
    server.add_url_rule("/", "index", lambda: "ok")
    server.add_url_rule(CALLBACK, "callback", lambda: "done", methods=["POST"])
    throttle = auth.LoginThrottle(clock=clock) if clock else None
    auth.install(server, DashboardSettings(**settings), throttle=throttle)
    return server


def test_login_429_with_retry_after_when_one_client_keeps_guessing() -> None:
    # Given login on, and a client that has just failed the allowed number of times
    clock = Clock()
    client = _server(clock, user=USER, password=PASSWORD).test_client()
    for _ in range(auth.LoginThrottle.MAX_FAILURES):
        assert client.get("/", auth=(USER, "guess")).status_code == 401
    # When it tries again, even with the right password
    r = client.get("/", auth=(USER, PASSWORD))
    # Then it is told to wait, and for how long
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= auth.LoginThrottle.WINDOW_SECONDS
    # And another client is not affected
    other = client.get("/", auth=(USER, PASSWORD), environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    # And once the window has passed, the right password works again
    clock.now += auth.LoginThrottle.WINDOW_SECONDS + 1
    assert client.get("/", auth=(USER, PASSWORD)).status_code == 200


def test_login_prompt_without_credentials_is_not_a_failed_attempt() -> None:
    # A browser's first request carries no credentials: it must never lock the user out
    client = _server(Clock(), user=USER, password=PASSWORD).test_client()
    for _ in range(auth.LoginThrottle.MAX_FAILURES * 2):
        assert client.get("/").status_code == 401
    assert client.get("/", auth=(USER, PASSWORD)).status_code == 200


@pytest.mark.parametrize("settings", [{}, {"user": USER, "password": PASSWORD}], ids=["login-off", "login-on"])
@pytest.mark.parametrize("path", ["/", "/healthz"])
def test_every_response_forbids_framing(settings: dict[str, Any], path: str) -> None:
    # When any page (or the login prompt) is fetched
    r = _server(**settings).test_client().get(path)
    # Then no other site may frame it (clickjacking the kill switch)
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example", "null"])
def test_callback_403_when_its_origin_is_another_site(origin: str) -> None:
    # Given a logged-in user's browser, sent a request by another site
    client = _server(user=USER, password=PASSWORD).test_client()
    # When it posts a Dash callback (e.g. the kill switch) carrying that site's Origin
    r = client.post(CALLBACK, json={}, auth=(USER, PASSWORD), headers={"Origin": origin})
    # Then it is refused before any callback runs
    assert r.status_code == 403


@pytest.mark.parametrize("headers", [{"Origin": "http://localhost"}, {}], ids=["same-origin", "no-origin"])
def test_callback_runs_when_its_origin_is_this_site_or_absent(headers: dict[str, str]) -> None:
    client = _server(user=USER, password=PASSWORD).test_client()
    r = client.post(CALLBACK, json={}, auth=(USER, PASSWORD), headers=headers)
    assert r.status_code == 200 and r.get_data(as_text=True) == "done"


def _lock_out(client: Any, **kw: Any) -> None:
    for _ in range(auth.LoginThrottle.MAX_FAILURES):
        client.get("/", auth=(USER, "guess"), **kw)


def test_throttle_cannot_be_dodged_with_x_forwarded_for_when_no_proxy_is_trusted() -> None:
    # Given a dashboard reached directly (locally), and a client locked out
    client = _server(Clock(), user=USER, password=PASSWORD).test_client()
    _lock_out(client, headers={"X-Forwarded-For": "1.1.1.1"})
    # When it claims to be someone else; Then it is still refused
    assert client.get("/", auth=(USER, PASSWORD), headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429


def test_behind_the_load_balancer_each_client_address_is_throttled_on_its_own() -> None:
    # Given the dashboard behind one proxy (the ALB appends the client's address)
    client = _server(Clock(), user=USER, password=PASSWORD, trusted_proxies=1).test_client()
    _lock_out(client, headers={"X-Forwarded-For": "1.1.1.1"})
    # Then that client is refused, and another one behind the same proxy is not
    assert client.get("/", auth=(USER, PASSWORD), headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 429
    assert client.get("/", auth=(USER, PASSWORD), headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 200


def test_aws_trusts_one_proxy_by_default() -> None:
    assert DashboardSettings.from_env({"TRADELOOP_ENV": "aws"}).trusted_proxies == 1
    assert DashboardSettings.from_env({}).trusted_proxies == 0
