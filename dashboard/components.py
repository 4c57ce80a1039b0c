"""Shared pieces of the pages: formatting, KPI cards, messages, table styles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dash_table, html

from dashboard.client import ApiError

GREEN = "#18864b"
RED = "#c0392b"
MUTED = "#6c757d"


# --------------------------------------------------------------------------------- numbers


def num(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def money(value: Any, signed: bool = False) -> str:
    v = num(value)
    if v is None:
        return "—"
    sign = "+" if signed and v > 0 else ("-" if v < 0 else "")
    return f"{sign}${abs(v):,.2f}"


def pct(value: Any, digits: int = 2, signed: bool = False) -> str:
    v = num(value)
    if v is None:
        return "—"
    return f"{v:+.{digits}%}" if signed else f"{v:.{digits}%}"


def pnl_color(value: Any) -> str:
    v = num(value)
    if v is None or abs(v) < 0.005:
        return MUTED
    return GREEN if v > 0 else RED


def short_time(value: Any) -> str:
    """ISO timestamp -> 'YYYY-MM-DD HH:MM:SS' (UTC as stored)."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(value)


# --------------------------------------------------------------------------------- components


def page_header(title: str, subtitle: str | None = None) -> html.Div:
    return html.Div(
        [html.H3(title, className="mb-0"), html.Div(subtitle, className="text-muted small") if subtitle else None],
        className="mb-3",
    )


def kpi_card(label: str, value: str, sub: str | None = None, color: str | None = None, kpi_id: str = "") -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(label, className="text-uppercase text-muted small fw-semibold"),
                    html.Div(
                        value, className="fs-4 fw-bold", style={"color": color} if color else None, id=kpi_id or None
                    ),
                    html.Div(sub, className="small text-muted") if sub else None,
                ]
            ),
            className="h-100 shadow-sm",
        ),
        xs=6,
        md=4,
        xl=2,
        className="mb-3",
    )


def rich(text: str) -> list[Any]:
    """Plain text with `backticks` shown as code: commands to run stand out."""
    parts = text.split("`")
    return [html.Code(p, className="px-1") if i % 2 else p for i, p in enumerate(parts) if p]


def api_error(exc: ApiError, what: str | None = None) -> dbc.Alert:
    """An API failure: the hint (what to run) first, then what happened. A 404 with a hint is an
    expected "nothing there yet" state, shown as information rather than as a failure."""
    if exc.unreachable:
        color = "danger"
    elif exc.status == 404 and exc.hint:
        color = "info"
    else:
        color = "warning"
    return dbc.Alert(
        [
            html.Div(rich(exc.hint), className="fw-semibold hint") if exc.hint else None,
            html.Div(
                [html.Strong(f"{what}: " if what else ""), *rich(exc.message)],
                className="api-error-message small" + (" mt-1" if exc.hint else ""),
            ),
        ],
        color=color,
        className="api-error",
    )


def empty_state(message: str, hint: str | None = None) -> dbc.Alert:
    return dbc.Alert(
        [html.Div(rich(message)), html.Div(rich(hint), className="mt-1 fw-semibold hint") if hint else None],
        color="info",
        className="empty-state",
    )


def table_style() -> dict[str, Any]:
    """Common DataTable look (Bootstrap-ish, compact, numbers right-aligned)."""
    return {
        "style_table": {"overflowX": "auto"},
        "style_cell": {
            "fontFamily": "inherit",
            "fontSize": "0.875rem",
            "padding": "6px 10px",
            "border": "none",
            "borderBottom": "1px solid #dee2e6",
            "whiteSpace": "normal",
            "height": "auto",
        },
        "style_header": {
            "backgroundColor": "#f8f9fa",
            "fontWeight": "600",
            "borderBottom": "2px solid #dee2e6",
            "textTransform": "uppercase",
            "fontSize": "0.75rem",
            "color": "#495057",
        },
    }


def left_align(columns: list[str]) -> list[dict[str, Any]]:
    return [{"if": {"column_id": c}, "textAlign": "left"} for c in columns]


def pnl_styles(columns: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for col in columns:
        out.append({"if": {"filter_query": f"{{{col}}} > 0", "column_id": col}, "color": GREEN, "fontWeight": "600"})
        out.append({"if": {"filter_query": f"{{{col}}} < 0", "column_id": col}, "color": RED, "fontWeight": "600"})
    return out


def money_column(col_id: str, name: str, decimals: int = 2) -> dict[str, Any]:
    return {
        "id": col_id,
        "name": name,
        "type": "numeric",
        "format": dash_table.FormatTemplate.money(decimals),
    }


def pct_column(col_id: str, name: str, decimals: int = 1) -> dict[str, Any]:
    return {
        "id": col_id,
        "name": name,
        "type": "numeric",
        "format": dash_table.FormatTemplate.percentage(decimals),
    }


def updated_note(prefix: str = "Updated") -> str:
    return f"{prefix} {datetime.now().strftime('%H:%M:%S')}"
