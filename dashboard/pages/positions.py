"""Positions: one sortable row per holding, marked to the latest close."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, callback, dash_table, html

from dashboard.client import ApiError, get_client
from dashboard.components import (
    api_error,
    empty_state,
    left_align,
    money,
    money_column,
    num,
    page_header,
    pct_column,
    pnl_color,
    pnl_styles,
    table_style,
    updated_note,
)

dash.register_page(__name__, path="/positions", name="Positions", title="tradeloop · positions", order=1)

COLUMNS = [
    {"id": "symbol", "name": "Symbol", "type": "text"},
    {"id": "quantity", "name": "Quantity", "type": "numeric", "format": dash_table.Format.Format().group(True)},
    money_column("avg_cost", "Avg cost", 4),
    money_column("last_price", "Last price"),
    money_column("market_value", "Market value"),
    money_column("unrealized_pnl", "Unrealized P&L"),
    money_column("realized_pnl", "Realized P&L"),
    pct_column("weight", "Weight", 2),
]


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            page_header("Positions", "Long-only paper positions; P&L includes commissions"),
            html.Div(id="positions-alerts"),
            html.Div(id="positions-summary", className="mb-2"),
            dash_table.DataTable(
                id="positions-table",
                columns=COLUMNS,
                data=[],
                sort_action="native",
                sort_by=[{"column_id": "market_value", "direction": "desc"}],
                page_action="none",
                style_data_conditional=pnl_styles(["unrealized_pnl", "realized_pnl"]),
                style_cell_conditional=[{"if": {"column_id": "symbol"}, "fontWeight": "600"}, *left_align(["symbol"])],
                style_header_conditional=left_align(["symbol"]),
                **table_style(),
            ),
            html.Div(id="positions-updated", className="text-muted small mt-2"),
        ]
    )


def rows(portfolio: dict[str, Any]) -> list[dict[str, Any]]:
    keys = [c["id"] for c in COLUMNS]
    return [{k: p.get(k) for k in keys} for p in portfolio.get("positions") or []]


def summary(portfolio: dict[str, Any], data: list[dict[str, Any]]) -> html.Div:
    unrealized = sum(num(r.get("unrealized_pnl")) or 0.0 for r in data)
    realized = sum(num(r.get("realized_pnl")) or 0.0 for r in data)
    return html.Div(
        [
            html.Span(f"{len(data)} positions · market value {money(portfolio.get('positions_value'))} · "),
            html.Span("unrealized "),
            html.Span(money(unrealized, True), style={"color": pnl_color(unrealized)}, className="fw-semibold"),
            html.Span(" · realized "),
            html.Span(money(realized, True), style={"color": pnl_color(realized)}, className="fw-semibold"),
            html.Span(f" · cash {money(portfolio.get('cash'))}"),
        ],
        className="text-muted",
    )


@callback(
    Output("positions-table", "data"),
    Output("positions-alerts", "children"),
    Output("positions-summary", "children"),
    Output("positions-updated", "children"),
    Input("refresh", "n_intervals"),
)
def refresh(_n: int) -> tuple[list[dict[str, Any]], Any, Any, str]:
    try:
        portfolio = get_client().portfolio()
    except ApiError as exc:
        return [], api_error(exc, "Positions"), None, updated_note("Checked")
    data = rows(portfolio)
    alert = (
        None
        if data
        else empty_state("No open positions.", "Place an order from the Controls page, or run `make demo`.")
    )
    return data, alert, summary(portfolio, data), updated_note()
