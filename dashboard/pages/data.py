"""Data: the quality report of the latest ingest (GET /marketdata/quality) -- per symbol the range,
sessions without a bar, duplicate or unsorted rows, zero-volume days, the share of opens equal to
the previous close, suspicious jumps; for a session of the daily pipeline also what was appended,
restated bars and the symbols still late."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dash_table, html

from dashboard.client import ApiError, get_client
from dashboard.components import api_error, empty_state, left_align, page_header, table_style, updated_note

dash.register_page(__name__, path="/data", name="Data", title="tradeloop · data", order=5)

COLUMNS = [
    ("symbol", "Symbol"),
    ("range", "Range"),
    ("rows", "Rows"),
    ("gaps", "Sessions without a bar"),
    ("duplicates", "Duplicates"),
    ("unsorted", "Unsorted"),
    ("zero_volume", "Zero volume"),
    ("open_eq_close", "Open = prev close"),
    ("jumps", "Jumps"),
    ("appended", "Appended"),
    ("status", "Status"),
]


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            page_header("Data", "Quality of the market data, as the latest ingest found it"),
            html.Div(id="data-body"),
            html.Div(id="data-updated", className="text-muted small mt-2"),
        ]
    )


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    missing = set(report.get("missing") or [])
    out = []
    for s in report.get("symbols") or []:
        out.append(
            {
                "symbol": s["symbol"],
                "range": f"{s.get('first_date') or '—'} .. {s.get('last_date') or '—'}",
                "rows": s.get("rows", 0),
                "gaps": s.get("missing_sessions", 0),
                "duplicates": s.get("duplicate_rows", 0),
                "unsorted": s.get("unsorted_rows", 0),
                "zero_volume": s.get("zero_volume_days", 0),
                "open_eq_close": f"{float(s.get('open_equals_previous_close') or 0):.1%}",
                "jumps": len(s.get("jumps") or []),
                "appended": len(s.get("appended") or []),
                "status": "LATE" if s["symbol"] in missing else ("warnings" if s.get("warnings") else "ok"),
            }
        )
    return out


def warnings(report: dict[str, Any]) -> list[str]:
    found = list(report.get("warnings") or [])
    for s in report.get("symbols") or []:
        found += [f"{s['symbol']}: {w}" for w in s.get("warnings") or []]
    return found


def render(report: dict[str, Any]) -> Any:
    if not report.get("symbols"):
        return empty_state("The latest ingest covered no symbol.", "Publish a model: its universe is what is ingested.")
    if report.get("kind") == "session":
        title = f"Session {report.get('session')} from {report.get('provider')}"
        state = dbc.Badge(
            "complete" if report.get("complete") else f"late: {', '.join(report.get('missing') or [])}",
            color="success" if report.get("complete") else "danger",
            className="ms-2",
            id="data-complete",
        )
    else:
        title, state = f"CSV ingest ({report.get('provider')})", None
    table = dash_table.DataTable(
        id="data-table",
        columns=[{"id": k, "name": n} for k, n in COLUMNS],
        data=rows(report),
        sort_action="native",
        style_data_conditional=[
            {"if": {"filter_query": '{status} = "LATE"'}, "color": "#b02a37", "fontWeight": "600"},
        ],
        style_cell_conditional=left_align(["symbol", "range", "status"]),
        **table_style(),
    )
    notes = warnings(report)
    return dbc.Card(
        [
            dbc.CardHeader([title, state]),
            dbc.CardBody(
                [
                    table,
                    html.Ul([html.Li(w) for w in notes], className="small mt-3 mb-0", id="data-warnings")
                    if notes
                    else html.Div("No warnings.", className="small text-muted mt-3"),
                ]
            ),
        ],
        className="shadow-sm",
    )


@callback(Output("data-body", "children"), Output("data-updated", "children"), Input("refresh", "n_intervals"))
def refresh(_n: int) -> tuple[Any, str]:
    try:
        report = get_client().data_quality()
    except ApiError as exc:
        return api_error(exc, "Data"), updated_note("Checked")
    return render(report), updated_note()
