"""One copy of each fact: routes.json, the services' routes and the committed OpenAPI agree."""

import json

from tradeloop_local.config import ROUTES_FILE
from tradeloop_local.openapi import SPEC_FILE, render
from tradeloop_local.router import load_routes, match


def test_committed_openapi_is_not_stale() -> None:
    assert SPEC_FILE.read_text() == render(), "run `make openapi` and commit the result"


def test_every_route_in_routes_json_is_documented_by_its_service() -> None:
    spec = json.loads(SPEC_FILE.read_text())
    built = {
        s
        for s in ("order", "portfolio", "signal")
        if any(op.get("tags") for ops in spec["paths"].values() for op in ops.values())
    }
    assert built
    for route in json.loads(ROUTES_FILE.read_text())["routes"]:
        if route["path"] == "/openapi.json":
            continue
        if route["service"] == "signal" and not any(p.startswith("/signals") for p in spec["paths"]):
            continue  # the signal service documents its routes once it is built
        assert route["method"].lower() in spec["paths"].get(route["path"], {}), route


def test_router_matches_path_parameters_and_tells_wrong_method_from_unknown_path() -> None:
    routes = load_routes()
    route, params, known = match(routes, "GET", "/orders/abc-123")
    assert route is not None and route.route_key == "GET /orders/{order_id}" and params == {"order_id": "abc-123"}
    assert match(routes, "DELETE", "/orders")[0] is None and match(routes, "DELETE", "/orders")[2] is True
    assert match(routes, "GET", "/nope")[2] is False
    assert match(routes, "GET", "/orders/a/b")[0] is None


def test_router_answers_json_404_when_the_path_has_a_control_character() -> None:
    from tradeloop_local.router import create_app

    # Given the router (no service needed: the path matches no route)
    client = create_app({}, load_routes()).test_client()
    # When a path holds a newline, which Flask's own routing refuses before ours sees it
    r = client.get("/positions/%0A%F1%83%BE%A0")
    # Then 404 in the error shape, as JSON, like every other unknown path
    assert r.status_code == 404 and r.mimetype == "application/json"
    assert r.get_json()["error"]["code"] == "not_found"


def test_router_405_with_allow_when_flask_itself_does_not_route_the_method() -> None:
    from tradeloop_local.router import create_app

    # When a known path is called with a method the router never routes (TRACE)
    r = create_app({}, load_routes()).test_client().open("/controls", method="TRACE")
    # Then 405 in the error shape, with Allow naming the path's methods
    assert r.status_code == 405 and r.headers["Allow"] == "GET, PUT"
    assert r.get_json()["error"]["code"] == "method_not_allowed"
