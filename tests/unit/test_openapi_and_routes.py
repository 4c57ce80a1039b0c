"""One copy of each fact: routes.json, the services' routes and the committed OpenAPI agree, in
both directions, for every service."""

import importlib
import json

import pytest

from tradeloop_local.config import ROUTES_FILE
from tradeloop_local.openapi import SERVICE_APPS, SPEC_FILE, render
from tradeloop_local.router import load_routes, match


def _routes_json() -> dict[str, set[str]]:
    """routes.json: service -> {"METHOD /path"}."""
    by_service: dict[str, set[str]] = {}
    for route in json.loads(ROUTES_FILE.read_text())["routes"]:
        by_service.setdefault(route["service"], set()).add(f"{route['method']} {route['path']}")
    return by_service


def _served(service: str, documented_only: bool = False) -> set[str]:
    """The routes the service's resolver answers (those in its OpenAPI document only, if asked)."""
    app = importlib.import_module(SERVICE_APPS[service]).app
    return {
        f"{route.method} {route.openapi_path}"
        for route in [*app._static_routes, *app._dynamic_routes]
        if route.include_in_schema or not documented_only
    }


def _operations(paths: dict[str, dict[str, object]]) -> set[str]:
    return {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}


def test_committed_openapi_is_not_stale() -> None:
    assert SPEC_FILE.read_text() == render(), "run `make openapi` and commit the result"


def test_routes_json_names_exactly_the_services_that_exist() -> None:
    assert set(_routes_json()) == set(SERVICE_APPS)


@pytest.mark.parametrize("service", sorted(SERVICE_APPS))
def test_routes_json_and_the_service_serve_the_same_routes(service: str) -> None:
    # Given routes.json (API Gateway's routes in Terraform, the local router's) and the service's resolver
    in_routes_json, served = _routes_json()[service], _served(service)
    # Then every route sent to the service is one it answers, and it answers none that is not sent to it
    assert in_routes_json - served == set(), f"routes.json sends these to {service}, which does not serve them"
    assert served - in_routes_json == set(), f"{service} serves these, which routes.json does not route"


@pytest.mark.parametrize("service", sorted(SERVICE_APPS))
def test_the_committed_openapi_documents_exactly_the_services_documented_routes(service: str) -> None:
    spec = json.loads(SPEC_FILE.read_text())
    documented = _served(service, documented_only=True)
    assert documented, f"{service} documents no route"
    # Every route the service documents is in the committed document...
    assert documented - _operations(spec["paths"]) == set()
    # ...and nothing is documented that no service documents (both directions, over all services)
    everything = set().union(*(_served(s, documented_only=True) for s in SERVICE_APPS))
    assert _operations(spec["paths"]) - everything == set()


def test_only_the_openapi_route_is_left_out_of_the_document() -> None:
    hidden = set().union(*(_served(s) - _served(s, documented_only=True) for s in SERVICE_APPS))
    assert hidden == {"GET /openapi.json"}


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
