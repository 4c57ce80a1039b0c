"""The risk limits: a form, validated here as the API will, then saved through the API."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html

from dashboard.client import ApiError, get_client
from dashboard.components import api_error, money, num
from dashboard.controls import card

LIMITS = [  # (field, label, help, step)
    ("max_order_notional", "Max order notional ($)", "largest single order, in dollars", "any"),
    ("max_position_weight", "Max position weight", "0-1, share of equity in one symbol", "0.01"),
    ("max_gross_exposure", "Max gross exposure", "0-4, sum of |positions| / equity", "0.05"),
    ("max_daily_loss", "Max daily loss", "0-1 of equity, close to close; 0 = off", "0.01"),
    ("max_drawdown", "Max drawdown", "0-1 of equity from the peak; 0 = off", "0.01"),
]
# (lowest, highest, whether the lowest is allowed): a loss limit of 0 switches it off.
LIMIT_BOUNDS = {
    "max_order_notional": (0, None, False),
    "max_position_weight": (0, 1, False),
    "max_gross_exposure": (0, 4, False),
    "max_daily_loss": (0, 1, True),
    "max_drawdown": (0, 1, True),
}


def limits_card() -> dbc.Card:
    fields = [
        dbc.Row(
            [
                dbc.Label(label, html_for=f"controls-limit-{key}", width=5, className="small"),
                dbc.Col(
                    [
                        dbc.Input(id=f"controls-limit-{key}", type="number", min=0, step=step, size="sm"),
                        dbc.FormText(helptext),
                    ],
                    width=7,
                ),
            ],
            className="mb-2",
        )
        for key, label, helptext, step in LIMITS
    ]
    return card(
        "Risk limits",
        [
            *fields,
            dbc.Button("Save limits", id="controls-limits-save", color="primary", disabled=True),
            html.Div(id="controls-limits-result", className="mt-3"),
        ],
        "controls-limits",
    )


@callback(
    Output("controls-limits-result", "children"),
    Output("controls-changed", "data", allow_duplicate=True),
    Input("controls-limits-save", "n_clicks"),
    *[State(f"controls-limit-{key}", "value") for key, *_ in LIMITS],
    State("controls-changed", "data"),
    prevent_initial_call=True,
)
def save_limits(_n: int, *values: Any) -> tuple[Any, int]:
    *limit_values, changed = values
    errors, patch = validate_limits(dict(zip([key for key, *_ in LIMITS], limit_values, strict=True)))
    if errors:
        return dbc.Alert(["Not saved: ", "; ".join(errors)], color="warning"), changed
    try:
        controls = get_client().update_controls(limits=patch)
    except ApiError as exc:
        return api_error(exc, "Risk limits"), changed
    lim = controls.get("limits") or {}
    return (
        dbc.Alert(
            f"Saved: max order {money(lim.get('max_order_notional'))}, max weight {lim.get('max_position_weight')}, "
            f"max gross {lim.get('max_gross_exposure')}",
            color="success",
            duration=8000,
        ),
        (changed or 0) + 1,
    )


def validate_limits(values: dict[str, Any]) -> tuple[list[str], dict[str, float]]:
    errors, patch = [], {}
    for key, label, *_ in LIMITS:
        v = num(values.get(key))
        lo, hi, lo_allowed = LIMIT_BOUNDS[key]
        if v is None:
            continue
        if v < lo or (v == lo and not lo_allowed) or (hi is not None and v > hi):
            errors.append(
                f"{label} must be {'>=' if lo_allowed else '>'} {lo}" + (f" and <= {hi}" if hi is not None else "")
            )
        else:
            patch[key] = v
    if not patch and not errors:
        errors.append("enter at least one limit")
    return errors, patch
