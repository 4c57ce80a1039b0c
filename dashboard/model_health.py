"""The Model page's health card (GET /models/health): the decay verdict as a banner, the latest
drift verdict as a table of features (PSI, training envelope, excess, level) and both over time."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dash_table, dcc, html

from dashboard.components import GREEN, MUTED, RED, empty_state, left_align, short_time, table_style

LEVEL_COLORS = {"OK": "success", "WARN": "warning", "HALT": "danger", "UNKNOWN": "secondary"}
DECAY_COLORS = {"OK": "success", "DECAYED": "danger", "COLLECTING": "info", "UNKNOWN": "secondary"}
AMBER = "#e0a800"
CHECK_LABELS = {"hit_rate": "hit rate", "long_return": "long return"}


def _figure(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        height=240,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        template="plotly_white",
        title={"text": title, "font": {"size": 13}, "x": 0},
        showlegend=True,
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return fig


def _check_text(check: dict[str, Any]) -> str:
    live = check.get("live")
    fmt = "{:.1%}" if check.get("name") == "hit_rate" else "{:+.3%}"
    shown = fmt.format(live) if live is not None else "—"
    low, high = fmt.format(check["low"]), fmt.format(check["high"])
    name = CHECK_LABELS.get(check.get("name", ""), check.get("name"))
    return f"{name} {shown} (promised {fmt.format(check['promised'])}, interval {low} .. {high})"


def decay_banner(decay: dict[str, Any]) -> dbc.Alert:
    status = str(decay.get("status") or "UNKNOWN")
    checks = decay.get("checks") or []
    if status == "DECAYED":
        text = str(decay.get("reason")).removeprefix("model decay: ")
    elif status == "OK":
        text = (
            f"Live signals within the walk-forward's {float(decay.get('level') or 0.95):.0%} intervals over the last "
            f"{decay.get('window_sessions')} sessions: " + "; ".join(_check_text(c) for c in checks)
        )
    else:
        text = str(decay.get("reason") or "no verdict")
    return dbc.Alert(
        [html.Strong(f"Model decay: {status}. "), text],
        color=DECAY_COLORS.get(status, "secondary"),
        className="py-2 mb-3",
        id="model-decay",
    )


def drift_table(drift: dict[str, Any]) -> Any:
    features = sorted(drift.get("features") or [], key=lambda f: -float(f.get("excess") or 0.0))
    if not features:
        return empty_state(str(drift.get("reason") or "No drift verdict."))
    numbers = [("psi", "PSI", ".3f"), ("envelope", "Training envelope", ".3f"), ("excess", "Excess", "+.3f")]
    rows = [{k: f.get(k) for k in ("name", "psi", "envelope", "excess", "level")} for f in features]
    return dash_table.DataTable(
        id="model-drift-table",
        columns=[
            {"id": "name", "name": "Feature"},
            *({"id": k, "name": n, "type": "numeric", "format": {"specifier": spec}} for k, n, spec in numbers),
            {"id": "level", "name": "Level"},
        ],
        data=rows,
        page_size=15,
        style_cell_conditional=left_align(["name", "level"]),
        style_header_conditional=left_align(["name", "level"]),
        style_data_conditional=[
            {"if": {"filter_query": '{level} = "HALT"'}, "color": RED, "fontWeight": "600"},
            {"if": {"filter_query": '{level} = "WARN"'}, "color": AMBER, "fontWeight": "600"},
        ],
        **table_style(),
    )


def drift_figure(runs: list[dict[str, Any]], thresholds: dict[str, Any]) -> go.Figure:
    """The largest excess of each run, oldest first, against the warn and halt levels."""
    judged = [r for r in reversed(runs) if (r.get("drift") or {}).get("max_excess") is not None]
    fig = _figure("Feature drift: largest PSI excess over the training envelope")
    times = [r["as_of"] for r in judged]
    fig.add_trace(
        go.Scatter(
            x=times,
            y=[r["drift"]["max_excess"] for r in judged],
            mode="lines+markers",
            name="largest excess",
            text=[r["drift"].get("worst") for r in judged],
            hovertemplate="%{x}<br>%{text}: %{y:+.3f}<extra></extra>",
            line={"color": "#2c3e50"},
        )
    )
    for key, label, color in (("warn_excess", "warn", AMBER), ("halt_excess", "halt: entries held", RED)):
        if thresholds.get(key) is not None:
            fig.add_trace(
                go.Scatter(
                    x=[times[0], times[-1]] if times else [],
                    y=[thresholds[key]] * (2 if times else 0),
                    mode="lines",
                    name=label,
                    line={"color": color, "dash": "dash", "width": 1},
                )
            )
    return fig


def decay_figure(runs: list[dict[str, Any]]) -> go.Figure | None:
    """The live hit rate of each run with a verdict, inside the walk-forward's band."""
    points = []
    for r in reversed(runs):
        check = next((c for c in (r.get("decay") or {}).get("checks") or [] if c.get("name") == "hit_rate"), None)
        if check and check.get("live") is not None:
            points.append((r["as_of"], check))
    if not points:
        return None
    fig = _figure("Model decay: live hit rate against the walk-forward's interval")
    times = [t for t, _ in points]
    fig.add_trace(
        go.Scatter(
            x=times,
            y=[c["high"] for _, c in points],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=times,
            y=[c["low"] for _, c in points],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(24,134,75,0.15)",
            name="promised interval",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=times,
            y=[c["live"] for _, c in points],
            mode="lines+markers",
            name="live hit rate",
            marker={"color": [GREEN if c.get("inside") else RED for _, c in points]},
            line={"color": MUTED},
        )
    )
    fig.update_yaxes(tickformat=".0%")
    return fig


def health_card(body: dict[str, Any]) -> Any:
    runs = list(body.get("runs") or [])
    if not runs:
        return empty_state(
            "No health record yet: each signal run of a model published with monitoring (drift reference, decay "
            "promise) writes one.",
            "Run `make pipeline SESSION=YYYY-MM-DD` or press “Run signals now”; a model trained before drift "
            "monitoring needs `make train-and-publish`.",
        )
    latest = runs[0]
    drift = latest.get("drift") or {}
    level = str(drift.get("level") or "UNKNOWN")
    span = f"{drift.get('first_day')} .. {drift.get('last_day')}"
    window = f"{drift.get('window_sessions')} sessions ({span}), {drift.get('rows')} rows" if drift.get("rows") else ""
    stale = latest.get("model_version") != body.get("live_version")
    graphs = [
        dcc.Graph(
            figure=drift_figure(runs, body.get("thresholds") or {}),
            config={"displayModeBar": False},
            id="model-drift-chart",
        )
    ]
    decay_fig = decay_figure(runs)
    if decay_fig is not None:
        graphs.append(dcc.Graph(figure=decay_fig, config={"displayModeBar": False}, id="model-decay-chart"))
    return html.Div(
        [
            decay_banner(latest.get("decay") or {}),
            html.Div(
                [
                    html.Span("Feature drift ", className="text-muted"),
                    dbc.Badge(
                        level, color=LEVEL_COLORS.get(level, "secondary"), className="ms-1", id="model-drift-level"
                    ),
                    html.Span(
                        f" at {short_time(latest.get('as_of'))} UTC" + (f" over {window}" if window else ""),
                        className="small text-muted ms-2",
                    ),
                ],
                className="mb-2",
            ),
            dbc.Alert(
                f"The latest record is of model {latest.get('model_version')}, "
                f"not of the live {body.get('live_version')}.",
                color="warning",
                className="py-2",
            )
            if stale
            else None,
            html.Div(drift.get("reason"), className="small mb-2") if drift.get("reason") else None,
            dbc.Row([dbc.Col(drift_table(drift), lg=5), dbc.Col(graphs, lg=7)]),
        ]
    )
