"""Overview: equity, P&L, drawdown and exposure; the equity curve and its drawdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from dashboard.client import ApiError, get_client
from dashboard.components import (
    RED,
    api_error,
    empty_state,
    kpi_card,
    money,
    num,
    page_header,
    pct,
    pnl_color,
    updated_note,
)

dash.register_page(__name__, path="/", name="Overview", title="tradeloop · overview", order=0)

LIVE_JOIN = timedelta(days=7)
HINT_NO_HISTORY = (
    "No equity history yet: the portfolio schedule writes a snapshot on each run "
    "(EventBridge in AWS; locally set TRADELOOP_SCHEDULE_SECONDS or run `make demo`)."
)
NO_BENCHMARK = "Buy-and-hold benchmark appears once there are two equity snapshots with market data."


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            page_header("Overview", "Paper account, marked to the latest daily close"),
            html.Div(id="overview-alerts"),
            dbc.Row(id="overview-kpis", className="g-3"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(dbc.CardBody(id="overview-equity"), className="shadow-sm"), lg=8, className="mb-3"
                    ),
                    dbc.Col(
                        dbc.Card(dbc.CardBody(id="overview-drawdown"), className="shadow-sm"), lg=4, className="mb-3"
                    ),
                ],
                className="mt-1",
            ),
            html.Div(id="overview-updated", className="text-muted small"),
        ]
    )


def _when(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def equity_series(snapshots: list[dict[str, Any]], portfolio: dict[str, Any]) -> tuple[list[str], list[float]]:
    """Snapshots oldest first; the live equity joins as the last point when the last snapshot is
    recent (a replay writes snapshots dated in the past: joining "now" to them would draw a gap of years)."""
    points = [
        (str(s["as_of"]), float(num(s.get("equity")) or 0.0)) for s in snapshots if num(s.get("equity")) is not None
    ]
    points.sort(key=lambda p: p[0])
    live, live_at = num(portfolio.get("equity")), _when(portfolio.get("as_of")) or datetime.now(UTC)
    last_at = _when(points[-1][0]) if points else None
    if live is not None and (last_at is None or timedelta(0) <= live_at - last_at <= LIVE_JOIN):
        points.append((live_at.isoformat(), live))
    return [p[0] for p in points], [p[1] for p in points]


def drawdowns(equity: list[float]) -> list[float]:
    out, peak = [], float("-inf")
    for v in equity:
        peak = max(peak, v)
        out.append(v / peak - 1.0 if peak > 0 else 0.0)
    return out


def day_pnl(snapshots: list[dict[str, Any]], equity: float | None) -> tuple[float | None, str]:
    """Equity now minus the last snapshot taken before today (UTC)."""
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    before = [s for s in snapshots if str(s.get("as_of", ""))[:10] < today and num(s.get("equity")) is not None]
    if equity is None or not before:
        return None, "needs a snapshot from before today"
    ref = max(before, key=lambda s: s["as_of"])
    return equity - float(ref["equity"]), f"vs close {str(ref['as_of'])[:10]}"


def _figure(height: int) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        template="plotly_white",
        hovermode="x unified",
        showlegend=False,
    )
    return fig


def benchmark_series(benchmark: dict[str, Any] | None) -> tuple[list[str], list[float]]:
    points = sorted((benchmark or {}).get("points") or [], key=lambda p: str(p.get("as_of")))
    return [str(p["as_of"]) for p in points], [float(num(p.get("equity")) or 0.0) for p in points]


def equity_figure(
    times: list[str], equity: list[float], bench: tuple[list[str], list[float]] | None = None
) -> go.Figure:
    fig = _figure(320)
    mode = "lines+markers" if len(times) < 30 else "lines"
    fig.add_trace(go.Scatter(x=times, y=equity, mode=mode, name="Equity", line={"color": "#2c3e50", "width": 2}))
    if bench and len(bench[0]) >= 2:
        fig.add_trace(
            go.Scatter(
                x=bench[0], y=bench[1], mode="lines", name="Buy and hold", line={"color": "#95a5a6", "dash": "dot"}
            )
        )
        fig.update_layout(showlegend=True, legend={"orientation": "h", "y": 1.08, "x": 0})
    fig.update_yaxes(tickprefix="$", tickformat=",.0f")
    return fig


def drawdown_figure(times: list[str], dd: list[float]) -> go.Figure:
    fig = _figure(320)
    fig.add_trace(go.Scatter(x=times, y=dd, fill="tozeroy", mode="lines", name="Drawdown", line={"color": RED}))
    fig.update_yaxes(tickformat=".1%", range=[min(min(dd, default=0.0) * 1.15, -0.01), 0.001])
    return fig


def kpis(portfolio: dict[str, Any], snapshots: list[dict[str, Any]]) -> list[dbc.Col]:
    equity = num(portfolio.get("equity"))
    realized, unrealized = num(portfolio.get("realized_pnl")) or 0.0, num(portfolio.get("unrealized_pnl")) or 0.0
    total = realized + unrealized
    day, day_sub = day_pnl(snapshots, equity)
    _, series = equity_series(snapshots, portfolio)
    dd = drawdowns(series + ([equity] if equity is not None else []))
    gross, leverage = num(portfolio.get("gross_exposure")), num(portfolio.get("leverage"))
    return [
        kpi_card("Equity", money(equity), f"cash {money(portfolio.get('cash'))}", kpi_id="kpi-equity"),
        kpi_card("Day P&L", money(day, signed=True), day_sub, pnl_color(day), kpi_id="kpi-day-pnl"),
        kpi_card(
            "Total P&L",
            money(total, signed=True),
            f"realized {money(realized, True)} · unrealized {money(unrealized, True)}",
            pnl_color(total),
            kpi_id="kpi-total-pnl",
        ),
        kpi_card(
            "Drawdown",
            pct(dd[-1] if dd else None),
            f"max drawdown {pct(min(dd) if dd else None)}",
            RED if dd and dd[-1] < -0.00005 else None,
            kpi_id="kpi-drawdown",
        ),
        kpi_card("Gross exposure", money(gross), f"{pct(leverage, 1)} of equity", kpi_id="kpi-exposure"),
        kpi_card(
            "Positions",
            str(len(portfolio.get("positions") or [])),
            f"market value {money(portfolio.get('positions_value'))}",
            kpi_id="kpi-positions",
        ),
    ]


@callback(
    Output("overview-alerts", "children"),
    Output("overview-kpis", "children"),
    Output("overview-equity", "children"),
    Output("overview-drawdown", "children"),
    Output("overview-updated", "children"),
    Input("refresh", "n_intervals"),
)
def refresh(_n: int) -> tuple[Any, Any, Any, Any, str]:
    client = get_client()
    try:
        portfolio = client.portfolio()
    except ApiError as exc:
        return api_error(exc, "Portfolio"), [], None, None, updated_note("Checked")
    alerts: list[Any] = []
    try:
        history = client.history_with_benchmark()
    except ApiError as exc:
        history = {}
        alerts.append(api_error(exc, "Equity history"))
    snapshots = list(history.get("snapshots") or [])
    benchmark = history.get("benchmark")
    if not portfolio.get("positions") and abs(num(portfolio.get("realized_pnl")) or 0.0) < 0.005:
        alerts.append(
            empty_state(
                "Empty account: no positions and no trades yet.",
                "Place an order from the Controls page, or run `make demo` to train a model and trade.",
            )
        )
    times, series = equity_series(snapshots, portfolio)
    equity_body: list[Any] = [html.H6("Equity", className="card-title")]
    dd_body: list[Any] = [html.H6("Drawdown from peak", className="card-title")]
    if len(series) < 2:
        equity_body.append(empty_state(HINT_NO_HISTORY))
        dd_body.append(html.Div("Needs at least two equity points.", className="text-muted small"))
    else:
        equity_body.append(
            dcc.Graph(
                figure=equity_figure(times, series, benchmark_series(benchmark)),
                config={"displayModeBar": False},
                id="overview-equity-graph",
            )
        )
        dd_body.append(dcc.Graph(figure=drawdown_figure(times, drawdowns(series)), config={"displayModeBar": False}))
    if benchmark and benchmark.get("points"):
        note = (
            f"Buy and hold: {', '.join(benchmark.get('symbols') or [])} in equal weights from the first snapshot, "
            "no costs."
        )
    else:
        note = NO_BENCHMARK
    equity_body.append(html.Div(note, className="small text-muted", id="overview-benchmark-note"))
    return alerts, kpis(portfolio, snapshots), equity_body, dd_body, updated_note()
