"""Run signals now: the signal job on demand, as the schedule runs it."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard.client import ApiError, get_client
from dashboard.components import api_error
from dashboard.controls import card


def signals_card() -> dbc.Card:
    return card(
        "Signals",
        [
            html.Div(
                "Run the signal job now: latest model on the latest bars, intents to the order queue.",
                className="small text-muted mb-2",
            ),
            dbc.Button("Run signals now", id="controls-run-signals", color="primary", outline=True),
            dcc.Loading(html.Div(id="controls-run-signals-result", className="mt-3"), type="dot"),
        ],
        "controls-signals",
    )


@callback(
    Output("controls-run-signals-result", "children"),
    Input("controls-run-signals", "n_clicks"),
    prevent_initial_call=True,
)
def run_signals(_n: int) -> Any:
    try:
        result = get_client().run_signals()
    except ApiError as exc:
        return api_error(exc, "Run signals")
    signals = result.get("signals") if isinstance(result, dict) else result
    count = f"{len(signals)} signals written" if isinstance(signals, list) else "signal job ran"
    return dbc.Alert(f"Done: {count}. See the Signals page.", color="success", duration=10000)
