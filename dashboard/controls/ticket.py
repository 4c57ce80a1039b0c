"""The manual order ticket (paper, market): validated before it is sent, the outcome described."""

from __future__ import annotations

import re
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html

from dashboard.client import ApiError, get_client, new_client_order_id
from dashboard.components import api_error, money, num
from dashboard.controls import card

SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")
MAX_QUANTITY = 10_000_000


def ticket_card() -> dbc.Card:
    return card(
        "Manual order (paper, market)",
        [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Symbol", html_for="ticket-symbol", className="small"),
                            dbc.Input(id="ticket-symbol", placeholder="AAPL", maxLength=10, debounce=False),
                            dbc.FormFeedback("Upper-case ticker, e.g. AAPL", type="invalid"),
                        ],
                        md=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Side", className="small d-block"),
                            dbc.RadioItems(
                                id="ticket-side",
                                options=[{"label": "Buy", "value": "BUY"}, {"label": "Sell", "value": "SELL"}],
                                value="BUY",
                                inline=True,
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Quantity", html_for="ticket-quantity", className="small"),
                            dbc.Input(id="ticket-quantity", type="number", min=1, step=1, placeholder="100"),
                            dbc.FormFeedback("Whole shares, more than 0", type="invalid"),
                        ],
                        md=5,
                    ),
                ],
                className="g-2 mb-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            "Fills at the market price from the data: the next open, or the latest close.",
                            className="small text-muted",
                        ),
                        md=7,
                        className="d-flex align-items-end",
                    ),
                    dbc.Col(
                        dbc.Button("Submit order", id="ticket-submit", color="primary", className="w-100"),
                        md=5,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2",
            ),
            html.Div(id="ticket-result", className="mt-3"),
        ],
        "controls-ticket",
    )


def validate_ticket(symbol: Any, quantity: Any) -> dict[str, str]:
    """Field -> problem; empty when the ticket can be sent."""
    problems: dict[str, str] = {}
    sym = (symbol or "").strip().upper()
    if not SYMBOL_RE.match(sym):
        problems["symbol"] = "symbol: an upper-case ticker such as AAPL"
    q = num(quantity)
    if q is None or q != int(q) or q <= 0 or q > MAX_QUANTITY:
        problems["quantity"] = f"quantity: a whole number of shares from 1 to {MAX_QUANTITY:,}"
    return problems


def describe_order(order: dict[str, Any]) -> dbc.Alert:
    status = order.get("status")
    side = "Bought" if order.get("side") == "BUY" else "Sold"
    fills = order.get("fills") or []
    key = html.Div(f"client order id {order.get('client_order_id')}", className="small text-muted")
    if status == "FILLED" and fills:
        qty = sum(int(f.get("quantity") or 0) for f in fills)
        px = sum((num(f.get("price")) or 0) * int(f.get("quantity") or 0) for f in fills) / max(qty, 1)
        comm = sum(num(f.get("commission")) or 0 for f in fills)
        text = f"FILLED: {side} {qty:,} {order.get('symbol')} at {money(px)} (commission {money(comm)})"
        return dbc.Alert([html.Div(text, className="fw-semibold"), key], color="success", id="ticket-outcome")
    if status == "REJECTED":
        text = f"REJECTED: {order.get('side')} {order.get('quantity')} {order.get('symbol')}: {order.get('reason')}"
        return dbc.Alert([html.Div(text, className="fw-semibold"), key], color="danger", id="ticket-outcome")
    return dbc.Alert(
        [html.Div(f"{status}: {order.get('side')} {order.get('quantity')} {order.get('symbol')}"), key],
        color="info",
        id="ticket-outcome",
    )


@callback(
    Output("ticket-result", "children"),
    Output("ticket-symbol", "invalid"),
    Output("ticket-quantity", "invalid"),
    Input("ticket-submit", "n_clicks"),
    State("ticket-symbol", "value"),
    State("ticket-side", "value"),
    State("ticket-quantity", "value"),
    prevent_initial_call=True,
)
def submit_order(_n: int, symbol: Any, side: str, quantity: Any) -> tuple[Any, bool, bool]:
    problems = validate_ticket(symbol, quantity)
    flags = ("symbol" in problems, "quantity" in problems)
    if problems:
        return dbc.Alert(
            "Fix the ticket: " + "; ".join(problems.values()), color="warning", id="ticket-outcome"
        ), *flags
    try:
        order = get_client().create_order(
            symbol=str(symbol).strip().upper(),
            side=side or "BUY",
            quantity=int(float(quantity)),
            client_order_id=new_client_order_id(),
        )
    except ApiError as exc:
        return api_error(exc, "Order refused"), *flags
    return describe_order(order), *flags
