"""Controls: kill switch (with confirmation), risk limits (loss limits included), a manual order
ticket, run signals now, and the history of every change, by a person or by a rule."""

from __future__ import annotations

import re
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dash_table, dcc, html

from dashboard.client import ApiError, get_client, new_client_order_id
from dashboard.components import (
    api_error,
    empty_state,
    left_align,
    money,
    num,
    page_header,
    short_time,
    table_style,
)

dash.register_page(__name__, path="/controls", name="Controls", title="tradeloop · controls", order=6)

STATES = [
    ("ACTIVE", "Active", "trade normally"),
    ("REDUCE_ONLY", "Reduce only", "only orders that shrink a position"),
    ("HALTED", "Halted", "reject every order"),
]
STATE_COLORS = {"ACTIVE": "success", "REDUCE_ONLY": "warning", "HALTED": "danger"}
SYMBOL_RE = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")
MAX_QUANTITY = 10_000_000
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
HISTORY_ROWS = 50


def _card(title: str, body: list[Any], card_id: str) -> dbc.Card:
    return dbc.Card(
        [dbc.CardHeader(title, className="fw-semibold"), dbc.CardBody(body)], className="shadow-sm mb-4", id=card_id
    )


def kill_switch_card() -> dbc.Card:
    return _card(
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
    return _card(
        "Risk limits",
        [
            *fields,
            dbc.Button("Save limits", id="controls-limits-save", color="primary", disabled=True),
            html.Div(id="controls-limits-result", className="mt-3"),
        ],
        "controls-limits",
    )


def ticket_card() -> dbc.Card:
    return _card(
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


def signals_card() -> dbc.Card:
    return _card(
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


def history_card() -> dbc.Card:
    return _card(
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


# ------------------------------------------------------------------------------ state and limits


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


# ------------------------------------------------------------------------------ order ticket


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


# ------------------------------------------------------------------------------ signals


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
