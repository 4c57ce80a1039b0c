"""The history of every change of the trading state or the limits, by a person or by a rule."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dash_table, html

from dashboard.client import ApiError, get_client
from dashboard.components import api_error, empty_state, left_align, short_time, table_style
from dashboard.controls import card

HISTORY_ROWS = 50


def history_card() -> dbc.Card:
    return card(
        "History",
        [
            html.Div(
                "Every change of the trading state or the limits: by a person through the API, or by a rule "
                "acting by itself (reconciliation, loss limits).",
                className="small text-muted mb-2",
            ),
            html.Div(id="controls-history"),
        ],
        "controls-history-card",
    )


def history_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per change: when, who, the state before and after, what limits moved, why."""
    rows = []
    for c in changes:
        old, new = c.get("old_limits") or {}, c.get("new_limits") or {}
        moved = [f"{k} {old.get(k)} -> {new.get(k)}" for k in sorted(new) if old.get(k) != new.get(k)]
        rows.append(
            {
                "at": short_time(c.get("at")),
                "actor": c.get("actor"),
                "state": c.get("old_state")
                if c.get("old_state") == c.get("new_state")
                else f"{c.get('old_state')} -> {c.get('new_state')}",
                "limits": "; ".join(moved),
                "reason": c.get("reason") or "",
            }
        )
    return rows


@callback(
    Output("controls-history", "children"),
    Input("refresh", "n_intervals"),
    Input("controls-changed", "data"),
)
def show_history(_n: int, _changed: int) -> Any:
    try:
        changes = get_client().controls_history(limit=HISTORY_ROWS)
    except ApiError as exc:
        return api_error(exc, "History")
    if not changes:
        return empty_state("No change yet: the controls are as the account opened.")
    columns = ["at", "actor", "state", "limits", "reason"]
    return dash_table.DataTable(
        id="controls-history-table",
        columns=[{"id": c, "name": c.capitalize()} for c in columns],
        data=history_rows(changes),
        style_cell_conditional=left_align(columns),
        style_header_conditional=left_align(columns),
        **table_style(),
    )
