"""Server errors say that they happened and how to find them in the logs, never what the code said."""

from __future__ import annotations

import json
from typing import Any

from tests.utils import LambdaContextStub, http_event
from tradeloop_common.api import build_resolver, resolve_http
from tradeloop_local.lambda_pool import FunctionError
from tradeloop_local.router import create_app, load_routes

SECRET = "Float types are not supported. Use Decimal types instead. /var/task/tradeloop_common/dal/codec.py"


class FailingPool:
    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        raise FunctionError({"error": "TypeError", "message": SECRET, "trace": "Traceback ..."})


def test_router_500_carries_no_exception_text_when_the_function_fails() -> None:
    # Given a service whose function raises
    client = create_app({"order": FailingPool()}, load_routes()).test_client()  # type: ignore[dict-item]
    # When a request reaches it
    r = client.get("/orders")
    # Then 500 in the error shape, with a request id to find the logs, and none of the exception's text
    assert r.status_code == 500
    error = r.get_json()["error"]
    assert error["code"] == "internal_error" and error["details"][0]["request_id"]
    assert "Float" not in r.get_data(as_text=True) and "codec.py" not in r.get_data(as_text=True)


def test_resolver_500_carries_no_exception_text_when_a_route_raises() -> None:
    # Given a route that fails with an unexpected exception
    app = build_resolver()

    @app.get("/boom")
    def boom() -> dict[str, Any]:
        raise RuntimeError(SECRET)

    # When it is called
    response = resolve_http(app, http_event("GET", "/boom"), LambdaContextStub())  # type: ignore[arg-type]
    # Then 500 in the error shape, without the exception's text
    assert response["statusCode"] == 500
    error = json.loads(response["body"])["error"]
    assert error["code"] == "internal_error" and "Float" not in response["body"]
