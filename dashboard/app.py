"""The Dash app: navbar, auto-refresh timer and the page container; pages live in ``dashboard/pages``.

gunicorn entry point: ``dashboard.app:server`` (the Flask server, with ``/healthz`` and login)."""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import auth
from dashboard.client import ApiError, get_client
from dashboard.config import get_settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

settings = get_settings()

# The Bootstrap theme (Bootswatch "Flatly", MIT) is served from assets/: no CDN, works offline.
app = dash.Dash(
    __name__,
    use_pages=True,
    title="tradeloop",
    update_title=None,  # None: keep the title while callbacks run (documented)
    suppress_callback_exceptions=True,
)
server = app.server
auth.install(server, settings)

NAV = [
    ("Overview", "/"),
    ("Positions", "/positions"),
    ("Signals", "/signals"),
    ("Orders", "/orders"),
    ("Model", "/model"),
    ("Data", "/data"),
    ("Controls", "/controls"),
]

STATE_COLORS = {"ACTIVE": "success", "REDUCE_ONLY": "warning", "HALTED": "danger"}


def navbar() -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(["tradeloop", html.Span(" paper", className="small text-white-50")], href="/"),
                dbc.Nav(
                    [
                        dbc.NavItem(dbc.NavLink(name, href=path, active="exact", id=f"nav-{name.lower()}"))
                        for name, path in NAV
                    ],
                    navbar=True,
                    className="me-auto",
                ),
                html.Div(id="nav-status", className="d-flex align-items-center gap-2"),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        className="mb-4",
    )


app.layout = html.Div(
    [
        navbar(),
        dbc.Container(dash.page_container, fluid=True, className="pb-5"),
        dcc.Interval(id="refresh", interval=settings.refresh_seconds * 1000, n_intervals=0),
        html.Footer(
            f"API {settings.api_url} · refresh every {settings.refresh_seconds} s",
            className="text-muted small text-center pb-3",
        ),
    ]
)


@callback(Output("nav-status", "children"), Input("refresh", "n_intervals"))
def nav_status(_n: int) -> list[html.Span]:
    client = get_client()
    try:
        controls = client.controls()
    except ApiError as exc:
        label = "API down" if exc.unreachable else f"API error {exc.status}"
        return [dbc.Badge(label, color="danger", className="p-2", id="nav-api-badge", title=exc.text)]
    state = str(controls.get("trading_state", "?"))
    return [
        dbc.Badge("API up", color="light", text_color="success", className="p-2", id="nav-api-badge"),
        dbc.Badge(
            state.replace("_", " "), color=STATE_COLORS.get(state, "secondary"), className="p-2", id="nav-trading-state"
        ),
    ]
