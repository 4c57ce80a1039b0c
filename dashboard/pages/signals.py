"""Signals: the latest signal per symbol beside what the account holds (target vs held, and what
waits for the next open), and one symbol's history."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, dash_table, dcc, html

from dashboard.client import ApiError, get_client
from dashboard.components import (
    api_error,
    empty_state,
    left_align,
    num,
    page_header,
    pct_column,
    short_time,
    table_style,
    updated_note,
)

dash.register_page(__name__, path="/signals", name="Signals", title="tradeloop · signals", order=2)

HISTORY_LIMIT = 250
HIDDEN = {"display": "none"}
TEXT_COLUMNS = ["symbol", "action", "rebalance", "model_version", "as_of", "created", "reason"]
COLUMNS = [
    {"id": "symbol", "name": "Symbol", "type": "text"},
    pct_column("probability", "P(up)", 1),
    pct_column("target_weight", "Target weight", 1),
    pct_column("held_weight", "Held weight", 1),
    pct_column("gap", "Gap", 1),
    {"id": "pending", "name": "Pending (shares)", "type": "numeric"},
    {"id": "action", "name": "Action", "type": "text"},
    {"id": "rebalance", "name": "Rebalance", "type": "text"},
    {"id": "model_version", "name": "Model version", "type": "text"},
    {"id": "as_of", "name": "As of (UTC)", "type": "datetime"},
    {"id": "created", "name": "Created (UTC)", "type": "datetime"},
    {"id": "reason", "name": "Reason", "type": "text"},
]


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            page_header("Signals", "Latest model output per symbol; target weights feed the order service"),
            html.Div(id="signals-alerts"),
            html.Div(
                dash_table.DataTable(
                    id="signals-table",
                    columns=COLUMNS,
                    data=[],
                    sort_action="native",
                    style_cell_conditional=[
                        {"if": {"column_id": "symbol"}, "fontWeight": "600"},
                        *left_align(TEXT_COLUMNS),
                    ],
                    style_header_conditional=left_align(TEXT_COLUMNS),
                    **table_style(),
                ),
                id="signals-table-wrap",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        dbc.Row(
                            [
                                dbc.Col(html.H6("History", className="card-title mt-2"), width="auto"),
                                dbc.Col(
                                    dcc.Dropdown(
                                        id="signals-symbol", options=[], placeholder="Symbol", clearable=False
                                    ),
                                    md=3,
                                ),
                            ],
                            className="mb-2",
                        ),
                        html.Div(id="signals-history"),
                    ]
                ),
                className="shadow-sm mt-4",
            ),
            html.Div(id="signals-updated", className="text-muted small mt-2"),
        ]
    )


def _rows(
    signals: list[dict[str, Any]], held: dict[str, float] | None = None, pending: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """One row per symbol: the signal, the weight held and the signed shares waiting for the next open."""
    held, pending = held or {}, pending or {}
    return [
        {
            "symbol": s.get("symbol"),
            "probability": num(s.get("probability")),
            "target_weight": num(s.get("target_weight")),
            "held_weight": held.get(str(s.get("symbol")), 0.0),
            "gap": (num(s.get("target_weight")) or 0.0) - held.get(str(s.get("symbol")), 0.0),
            "pending": pending.get(str(s.get("symbol")), 0),
            "action": s.get("action") or "TARGET",
            "rebalance": "to target" if (s.get("action") or "TARGET") == "TARGET" else "left as held",
            "reason": s.get("reason") or "",
            "model_version": s.get("model_version"),
            "as_of": short_time(s.get("as_of")),
            "created": short_time(s.get("created_at")),
        }
        for s in signals
    ]


def latest_per_symbol(signals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for s in signals:
        sym = s.get("symbol")
        if sym and (sym not in latest or str(s.get("as_of")) > str(latest[sym].get("as_of"))):
            latest[sym] = s
    return [latest[k] for k in sorted(latest)]


@callback(
    Output("signals-table", "data"),
    Output("signals-symbol", "options"),
    Output("signals-symbol", "value"),
    Output("signals-alerts", "children"),
    Output("signals-updated", "children"),
    Output("signals-table-wrap", "style"),
    Input("refresh", "n_intervals"),
    dash.State("signals-symbol", "value"),
)
def refresh(_n: int, current: str | None) -> tuple[Any, ...]:
    try:
        latest = latest_per_symbol(get_client().signals())
    except ApiError as exc:
        return [], [], None, api_error(exc, "Signals"), updated_note("Checked"), HIDDEN
    if not latest:
        alert = empty_state(
            "No signals yet.", "Run `make train-and-publish`, then `make signals` (or “Run signals now”)."
        )
        return [], [], None, alert, updated_note(), HIDDEN
    symbols = [s["symbol"] for s in latest]
    held, pending = _book()
    return (
        _rows(latest, held, pending),
        symbols,
        current if current in symbols else symbols[0],
        None,
        updated_note(),
        {},
    )


def _book() -> tuple[dict[str, float], dict[str, int]]:
    """Weights held and shares pending per symbol; empty when the account cannot be read."""
    client = get_client()
    try:
        positions = client.portfolio().get("positions") or []
        waiting = client.orders(status="PENDING", max_orders=500)
    except ApiError:
        return {}, {}
    held = {str(p["symbol"]): num(p.get("weight")) or 0.0 for p in positions}
    pending: dict[str, int] = {}
    for o in waiting:
        sign = 1 if o.get("side") == "BUY" else -1
        pending[str(o["symbol"])] = pending.get(str(o["symbol"]), 0) + sign * int(o.get("quantity") or 0)
    return held, pending


@callback(Output("signals-history", "children"), Input("signals-symbol", "value"))
def history(symbol: str | None) -> Any:
    if not symbol:
        return html.Div("Pick a symbol to see its signal history.", className="text-muted small")
    try:
        rows = get_client().signals(symbol=symbol, limit=HISTORY_LIMIT)
    except ApiError as exc:
        return api_error(exc, f"{symbol} history")
    rows = sorted((r for r in rows if r.get("symbol") in (None, symbol)), key=lambda r: str(r.get("as_of")))
    if not rows:
        return empty_state(f"No signal history for {symbol}.")
    x = [r.get("as_of") for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=[num(r.get("probability")) for r in rows], name="P(up)", mode="lines+markers"))
    fig.add_trace(
        go.Scatter(
            x=x, y=[num(r.get("target_weight")) for r in rows], name="Target weight", mode="lines", line={"shape": "hv"}
        )
    )
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        template="plotly_white",
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.1},
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return dcc.Graph(figure=fig, config={"displayModeBar": False})
