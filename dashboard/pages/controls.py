"""Controls: kill switch (with confirmation), risk limits (loss limits included), a manual order
ticket, run signals now, and the history of every change, by a person or by a rule.

The page lays the cards out and fills the form once; each card and its callbacks live in
``dashboard/controls/`` (one module per job)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard.client import ApiError, get_client
from dashboard.components import num, page_header
from dashboard.controls.history import history_card
from dashboard.controls.kill_switch import kill_switch_card
from dashboard.controls.limits import LIMITS, limits_card
from dashboard.controls.signals import signals_card
from dashboard.controls.ticket import ticket_card

dash.register_page(__name__, path="/controls", name="Controls", title="tradeloop · controls", order=6)


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            page_header("Controls", "Every action goes through the API and is checked there"),
            dcc.Store(id="controls-changed", data=0),
            dcc.Store(id="controls-init", data=True),
            dbc.Row(
                [
                    dbc.Col([kill_switch_card(), limits_card()], lg=6),
                    dbc.Col([ticket_card(), signals_card()], lg=6),
                ]
            ),
            history_card(),
        ]
    )


@callback(
    Output("controls-state-choice", "value"),
    *[Output(f"controls-limit-{key}", "value") for key, *_ in LIMITS],
    Output("controls-state-apply", "disabled"),
    Output("controls-limits-save", "disabled"),
    Input("controls-init", "data"),
)
def load_form(_init: bool) -> tuple[Any, ...]:
    """Fill the form once, when the page opens (the timer must not overwrite an edit in progress);
    the buttons come alive only then."""
    try:
        controls = get_client().controls()
    except ApiError:
        return (None, *([None] * len(LIMITS)), True, True)
    limits = controls.get("limits") or {}
    return (controls.get("trading_state"), *[num(limits.get(key)) for key, *_ in LIMITS], False, False)
