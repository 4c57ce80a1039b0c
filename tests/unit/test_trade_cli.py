"""The trading CLI signs its requests with SigV4 for an API that is not on this machine (API
Gateway's AWS_IAM authorization), with the standard credential chain; locally it does not."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tradeloop_local import trade_cli
from tradeloop_local.cli import main

CONTROLS = {"trading_state": "ACTIVE", "limits": {}, "version": 1, "updated_at": None}


@pytest.fixture
def capture() -> Iterator[dict[str, Any]]:
    """A stand-in for API Gateway that records each request and answers GET /controls."""
    seen: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            seen.update(method="GET", path=self.path, headers=dict(self.headers))
            body = json.dumps(CONTROLS).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    seen["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield seen
    finally:
        server.shutdown()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Credentials:
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOPERATOR00000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "operator-secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    return Credentials("AKIAOPERATOR00000000", "operator-secret")


def test_controls_request_is_signed_for_execute_api(capture: dict[str, Any], aws_credentials: Credentials) -> None:
    # Given an API behind AWS_IAM / When an operator reads the kill switch with --sigv4
    assert main(["controls", "--api", capture["url"], "--sigv4"]) == 0
    headers = capture["headers"]
    # Then the request carries a SigV4 signature for execute-api in the region, with the chain's key
    auth = headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIAOPERATOR00000000/")
    assert "/eu-west-1/execute-api/aws4_request" in auth
    # And it is the signature botocore computes for that request at that time (API Gateway would accept it)
    request = AWSRequest(
        method="GET",
        url=f"{capture['url']}{capture['path']}",
        data=b"",
        headers={"Host": headers["Host"], "X-Amz-Date": headers["X-Amz-Date"]},
    )
    request.context["timestamp"] = headers["X-Amz-Date"]
    SigV4Auth(aws_credentials, "execute-api", "eu-west-1").add_auth(request)
    assert request.headers["Authorization"] == auth


def test_an_api_gateway_url_is_signed_by_default_and_names_its_region(aws_credentials: Credentials) -> None:
    client = trade_cli.configure("https://abc123.execute-api.ap-northeast-1.amazonaws.com", None)
    assert client.settings.api_sigv4 and client.settings.aws_region == "ap-northeast-1"
    assert not trade_cli.configure("http://127.0.0.1:8080", None).settings.api_sigv4


def test_without_credentials_it_says_what_to_set(
    capture: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(SystemExit) as exited:
        main(["controls", "--api", capture["url"], "--sigv4"])
    assert exited.value.code == 1
    assert "no AWS credentials" in capsys.readouterr().out
    assert "headers" not in capture  # nothing was sent unsigned
