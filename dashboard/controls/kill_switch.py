"""The kill switch: the trading state, a choice confirmed in a dialog, a reason kept in the history."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html

from dashboard.client import ApiError, get_client
from dashboard.components import api_error, short_time
from dashboard.controls import card

STATES = [
    ("ACTIVE", "Active", "trade normally"),
    ("REDUCE_ONLY", "Reduce only", "only orders that shrink a position"),
    ("HALTED", "Halted", "reject every order"),
]
STATE_COLORS = {"ACTIVE": "success", "REDUCE_ONLY": "warning", "HALTED": "danger"}


def kill_switch_card() -> dbc.Card:
    return card(
        "Kill switch",
        [
            html.Div(id="controls-state", className="mb-3"),
            html.Div(
                dbc.RadioItems(
                    id="controls-state-choice",
                    options=[{"label": f"{label}", "value": value} for value, label, _ in STATES],
                    value=None,
                    className="btn-group",
                    inputClassName="btn-check",
                    labelClassName="btn btn-outline-primary",
                    labelCheckedClassName="active",
                ),
                className="radio-group mb-2",
            ),
            html.Div("; ".join(f"{label}: {what}" for _, label, what in STATES), className="small text-muted mb-2"),
            dbc.Input(
                id="controls-reason",
                placeholder="Reason (kept in the history; needed to resume)",
                maxLength=200,
                size="sm",
            ),
            # Disabled until the form holds the current state (else a fast click races the load).
            dbc.Button("Apply…", id="controls-state-apply", color="danger", className="mt-2", disabled=True),
            html.Div(id="controls-state-result", className="mt-3"),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Change the trading state?")),
                    dbc.ModalBody(id="controls-confirm-body"),
                    dbc.ModalFooter(
                        [
                            dbc.Button("Cancel", id="controls-confirm-no", color="secondary", outline=True),
                            dbc.Button("Confirm", id="controls-confirm-yes", color="danger"),
                        ]
                    ),
                ],
                id="controls-confirm",
                is_open=False,
                centered=True,
            ),
        ],
        "controls-kill-switch",
    )


@callback(
    Output("controls-state", "children"),
    Input("refresh", "n_intervals"),
    Input("controls-changed", "data"),
)
def show_state(_n: int, _changed: int) -> Any:
    try:
        controls = get_client().controls()
    except ApiError as exc:
        return api_error(exc, "Controls")
    state = str(controls.get("trading_state"))
    updated = f"updated {short_time(controls.get('updated_at'))} UTC" if controls.get("updated_at") else "never changed"
    return html.Div(
        [
            html.Span("Trading state ", className="text-muted"),
            dbc.Badge(
                state, color=STATE_COLORS.get(state, "secondary"), className="fs-6 ms-1", id="controls-state-badge"
            ),
            html.Span(updated, className="small text-muted ms-2"),
        ]
    )


@callback(
    Output("controls-confirm", "is_open"),
    Output("controls-confirm-body", "children"),
    Input("controls-state-apply", "n_clicks"),
    Input("controls-confirm-yes", "n_clicks"),
    Input("controls-confirm-no", "n_clicks"),
    State("controls-state-choice", "value"),
    prevent_initial_call=True,
)
def confirm(_apply: int, _yes: int, _no: int, choice: str | None) -> tuple[bool, Any]:
    if ctx.triggered_id != "controls-state-apply" or not choice:
        return False, dash.no_update
    what = {value: what for value, _, what in STATES}[choice]
    return True, html.Div(
        [
            html.Span("Set the trading state to "),
            dbc.Badge(choice, color=STATE_COLORS[choice]),
            html.Span(f" ({what})?"),
            html.Div(
                "This takes effect for the next order, manual or from signals.", className="small text-muted mt-2"
            ),
        ]
    )


@callback(
    Output("controls-state-result", "children"),
    Output("controls-changed", "data"),
    Input("controls-confirm-yes", "n_clicks"),
    State("controls-state-choice", "value"),
    State("controls-reason", "value"),
    State("controls-changed", "data"),
    prevent_initial_call=True,
)
def apply_state(_yes: int, choice: str | None, reason: str | None, changed: int) -> tuple[Any, int]:
    if not choice:
        return dbc.Alert("Pick a state first.", color="warning"), changed
    try:
        controls = get_client().update_controls(trading_state=choice, reason=(reason or "").strip() or None)
    except ApiError as exc:
        return api_error(exc, "Kill switch"), changed
    state = controls.get("trading_state", choice)
    return (
        dbc.Alert(
            f"Trading state is now {state}.",
            color=STATE_COLORS.get(state, "info"),
            id="controls-state-done",
            duration=8000,
        ),
        (changed or 0) + 1,
    )
