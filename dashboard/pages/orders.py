"""Orders: the blotter, newest first: the session each order trades in, its lifecycle (PENDING ->
FILLED / REJECTED / CANCELLED / EXPIRED, with the reason), the fill and the price it took; filter
by symbol and status."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dash_table, dcc, html

from dashboard.client import ApiError, get_client
from dashboard.components import (
    GREEN,
    RED,
    api_error,
    empty_state,
    left_align,
    money_column,
    num,
    page_header,
    short_time,
    table_style,
    updated_note,
)

dash.register_page(__name__, path="/orders", name="Orders", title="tradeloop · orders", order=3)

MAX_ORDERS = 2000
TEXT_COLUMNS = ["session", "created", "symbol", "side", "status", "price_source", "reason", "source", "client_order_id"]
STATUSES = ["PENDING", "FILLED", "REJECTED", "CANCELLED", "EXPIRED"]
COLUMNS = [
    {"id": "session", "name": "Session", "type": "datetime"},
    {"id": "created", "name": "Placed (UTC)", "type": "datetime"},
    {"id": "symbol", "name": "Symbol", "type": "text"},
    {"id": "side", "name": "Side", "type": "text"},
    {"id": "quantity", "name": "Qty", "type": "numeric"},
    {"id": "status", "name": "Status", "type": "text"},
    {"id": "filled", "name": "Filled", "type": "numeric"},
    money_column("fill_price", "Avg fill", 4),
    {"id": "price_source", "name": "Price", "type": "text"},
    money_column("commission", "Commission"),
    {"id": "reason", "name": "Reason", "type": "text"},
    {"id": "source", "name": "Source", "type": "text"},
    {"id": "client_order_id", "name": "Client order id", "type": "text"},
]


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            page_header("Orders", f"Blotter, newest first (up to {MAX_ORDERS:,} orders)"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Symbol", html_for="orders-symbol", className="small text-muted mb-0"),
                            dcc.Dropdown(id="orders-symbol", options=[], placeholder="All symbols", clearable=True),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Status", html_for="orders-status", className="small text-muted mb-0"),
                            dcc.Dropdown(
                                id="orders-status",
                                options=[{"label": s.title(), "value": s} for s in STATUSES],
                                placeholder="All statuses",
                                clearable=True,
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(html.Div(id="orders-counts", className="text-muted small pt-4"), md=6),
                ],
                className="mb-3 g-3",
            ),
            html.Div(id="orders-alerts"),
            dash_table.DataTable(
                id="orders-table",
                columns=COLUMNS,
                data=[],
                sort_action="native",
                page_action="native",
                page_size=50,
                style_data_conditional=[
                    {"if": {"filter_query": '{status} = "REJECTED"'}, "backgroundColor": "#fdf1f0"},
                    {"if": {"filter_query": '{status} = "REJECTED"', "column_id": "status"}, "color": RED},
                    {"if": {"filter_query": '{status} = "FILLED"', "column_id": "status"}, "color": GREEN},
                    {"if": {"filter_query": '{status} = "PENDING"'}, "backgroundColor": "#f3f7fd"},
                    {"if": {"filter_query": '{side} = "BUY"', "column_id": "side"}, "color": GREEN},
                    {"if": {"filter_query": '{side} = "SELL"', "column_id": "side"}, "color": RED},
                ],
                style_cell_conditional=[
                    {"if": {"column_id": c}, "fontWeight": "600"} for c in ("symbol", "side", "status")
                ]
                + [{"if": {"column_id": "reason"}, "minWidth": "220px"}]
                + left_align(TEXT_COLUMNS),
                style_header_conditional=left_align(TEXT_COLUMNS),
                **table_style(),
            ),
            html.Div(id="orders-updated", className="text-muted small mt-2"),
        ]
    )


def row(order: dict[str, Any]) -> dict[str, Any]:
    fills = order.get("fills") or []
    filled = sum(int(f.get("quantity") or 0) for f in fills)
    notional = sum((num(f.get("price")) or 0.0) * int(f.get("quantity") or 0) for f in fills)
    return {
        "session": order.get("session") or "",
        "created": short_time(order.get("created_at")),
        "symbol": order.get("symbol"),
        "side": order.get("side"),
        "quantity": order.get("quantity"),
        "status": order.get("status"),
        "filled": filled,
        "fill_price": round(notional / filled, 4) if filled else None,
        "commission": sum(num(f.get("commission")) or 0.0 for f in fills) if fills else None,
        "price_source": order.get("price_source") or ("waits for the open" if order.get("status") == "PENDING" else ""),
        "reason": order.get("reason") or "",
        "source": order.get("source") or "",
        "client_order_id": order.get("client_order_id"),
        "order_id": order.get("order_id"),
    }


@callback(
    Output("orders-table", "data"),
    Output("orders-symbol", "options"),
    Output("orders-alerts", "children"),
    Output("orders-counts", "children"),
    Output("orders-updated", "children"),
    Input("refresh", "n_intervals"),
    Input("orders-symbol", "value"),
    Input("orders-status", "value"),
    State("orders-symbol", "options"),
)
def refresh(_n: int, symbol: str | None, status: str | None, options: list[Any] | None) -> tuple[Any, ...]:
    try:
        orders = get_client().orders(symbol=symbol or None, status=status or None, max_orders=MAX_ORDERS)
    except ApiError as exc:
        return [], options or [], api_error(exc, "Orders"), None, updated_note("Checked")
    known = {o["value"] if isinstance(o, dict) else o for o in options or []}
    known |= {o.get("symbol") for o in orders if o.get("symbol")}
    data = [row(o) for o in orders]
    counts = {s: sum(1 for o in orders if o.get("status") == s) for s in STATUSES}
    text = f"{len(data):,} {'order' if len(data) == 1 else 'orders'} shown · " + " · ".join(
        f"{counts[s]:,} {s.lower()}" for s in STATUSES
    )
    alert = None
    if not data:
        alert = (
            empty_state("No orders match the filter.")
            if symbol or status
            else empty_state("No orders yet.", "Use the order ticket on the Controls page, or run `make demo`.")
        )
    return data, sorted(known), alert, text, updated_note()
