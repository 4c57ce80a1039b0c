"""Model: the live model's manifest (GET /models/current): training range, walk-forward metrics vs
baselines, ONNX parity, and links to its report and weights; and its live health (GET /models/health:
feature drift and decay, dashboard/model_health.py)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from dashboard.client import ApiError, get_client
from dashboard.components import api_error, empty_state, page_header, updated_note
from dashboard.model_health import health_card

dash.register_page(__name__, path="/model", name="Model", title="tradeloop · model", order=4)

HEALTH_RUNS = 120  # about half a year of daily runs on the charts
METRICS = [  # (key, label, format)
    ("auc", "AUC", "{:.3f}"),
    ("log_loss", "Log loss", "{:.4f}"),
    ("accuracy", "Accuracy", "{:.1%}"),
    ("total_return", "Total return", "{:+.1%}"),
    ("cagr", "CAGR", "{:+.1%}"),
    ("sharpe", "Sharpe", "{:+.2f}"),
    ("max_drawdown", "Max drawdown", "{:.1%}"),
    ("turnover", "Turnover / yr", "{:.1f}"),
    ("hit_rate", "Hit rate", "{:.1%}"),
]


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            page_header("Model", "The live model (LATEST in the registry) and how it tested out of sample"),
            html.Div(id="model-body"),
            dbc.Card(
                [
                    dbc.CardHeader("Live health: feature drift and model decay"),
                    dbc.CardBody(html.Div(id="model-health")),
                ],
                className="shadow-sm mb-3",
                id="model-health-card",
            ),
            html.Div(id="model-updated", className="text-muted small mt-2"),
        ]
    )


def split(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(manifest, links) whether the API wraps the manifest or returns it bare."""
    wrapped = body.get("manifest")
    manifest: dict[str, Any] = wrapped if isinstance(wrapped, dict) else body
    links: dict[str, str] = {}
    for source in (body, body.get("urls") or {}, body.get("links") or {}):
        if isinstance(source, dict):
            for k, v in source.items():
                if isinstance(v, str) and v.startswith(("http://", "https://")):
                    links[k] = v
    return manifest, links


def _fmt(value: Any, fmt: str) -> str:
    try:
        return fmt.format(float(value))
    except (TypeError, ValueError):
        return "—"


def metrics_table(manifest: dict[str, Any]) -> Any:
    kind = (manifest.get("model") or {}).get("kind", "model")
    wf = (manifest.get("walk_forward") or {}).get("overall") or {}
    base = manifest.get("baselines") or {}
    cols = [
        (f"{kind} (live)", wf),
        ("logistic", base.get("logistic") or {}),
        ("buy & hold", base.get("buy_and_hold") or {}),
    ]
    rows = [(label, fmt, key) for key, label, fmt in METRICS if any(key in c for _, c in cols)]
    if not rows:
        return empty_state("The manifest holds no walk-forward metrics.")
    return dbc.Table(
        [
            html.Thead(
                html.Tr([html.Th("Out of sample, after costs")] + [html.Th(n, className="text-end") for n, _ in cols])
            ),
            html.Tbody(
                [
                    html.Tr([html.Td(label)] + [html.Td(_fmt(c.get(key), fmt), className="text-end") for _, c in cols])
                    for label, fmt, key in rows
                ]
            ),
        ],
        hover=True,
        size="sm",
        className="mb-0",
        id="model-metrics",
    )


def facts(manifest: dict[str, Any]) -> list[tuple[str, Any]]:
    data = manifest.get("training_data") or {}
    parity = manifest.get("onnx_parity") or {}
    gate = manifest.get("gate") or {}
    feats = manifest.get("features") or {}
    out: list[tuple[str, Any]] = [
        ("Version", manifest.get("version")),
        ("Name", manifest.get("name")),
        ("Kind", (manifest.get("model") or {}).get("kind")),
        ("Created", manifest.get("created_at")),
        (
            "Training data",
            f"{data.get('first_date', '?')} .. {data.get('last_date', '?')} ({', '.join(data.get('symbols') or [])})"
            if data
            else None,
        ),
        ("Label", (manifest.get("label") or {}).get("definition")),
        ("Features", ", ".join(feats.get("names") or []) or None),
        ("Lookback", manifest.get("lookback")),
        (
            "ONNX parity",
            f"max |onnx − keras| = {float(parity['max_abs_diff']):.2e} on {parity.get('rows', '?')} rows"
            if parity.get("max_abs_diff") is not None
            else None,
        ),
        (
            "Gate",
            f"{gate.get('metric')} {_fmt(gate.get('candidate'), '{:.4f}')} vs logistic "
            f"{_fmt(gate.get('logistic'), '{:.4f}')}: {'PASS' if gate.get('passed') else 'FAIL'}"
            + "".join(f"; {r}" for r in gate.get("reasons") or [])
            if gate
            else None,
        ),
        ("Code version", manifest.get("code_version")),
    ]
    return [(k, v) for k, v in out if v not in (None, "")]


LINK_LABELS = {
    "report_url": "Open the model report",
    "model_h5_url": "Download model.h5",
    "model_url": "Download model.h5",
    "h5_url": "Download model.h5",
}


def promotion(body: dict[str, Any]) -> Any:
    """A warning when the live model went live past a failed gate (``--force``)."""
    action = (body.get("promotion") or {}).get("action")
    if action == "force-promote":
        return dbc.Alert(
            "Promoted with --force: this model did not beat its baseline out of sample (see Gate).",
            color="warning",
            className="py-2 mb-2",
            id="model-forced",
        )
    return None


def serving(body: dict[str, Any]) -> Any:
    status = body.get("serving")
    if not isinstance(status, dict):
        return None
    if status.get("loaded"):
        return dbc.Badge("serving: loaded and verified", color="success", className="ms-1")
    return dbc.Badge(f"serving: {status.get('error') or 'not loaded'}", color="warning", className="ms-1 text-wrap")


def render(body: dict[str, Any]) -> Any:
    manifest, links = split(body)
    if not manifest.get("version"):
        return empty_state("No model yet.", "Run `make train-and-publish`.")
    fact_rows = [
        html.Tr([html.Th(k, className="text-muted fw-normal w-25"), html.Td(str(v))]) for k, v in facts(manifest)
    ]
    link_items = [
        dbc.Button(
            LINK_LABELS.get(k, k.replace("_", " ")), href=v, target="_blank", color="primary", outline=True, size="sm"
        )
        for k, v in sorted(links.items(), key=lambda kv: kv[0] != "report_url")
    ]
    if not any(k.startswith("report") for k in links):
        link_items.append(
            html.Span(
                "report.html sits next to the model in the models bucket "
                f"(models/{manifest.get('name', '<name>')}/{manifest['version']}/report.html)",
                className="small text-muted",
            )
        )
    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    [
                        dbc.CardHeader(
                            ["Live model ", dbc.Badge(manifest["version"], color="success", className="ms-1")]
                        ),
                        dbc.CardBody(
                            [
                                promotion(body),
                                dbc.Table(html.Tbody(fact_rows), size="sm", borderless=True, className="mb-2"),
                                html.Div(
                                    link_items, className="d-flex flex-wrap gap-2 align-items-center", id="model-links"
                                ),
                            ]
                        ),
                    ],
                    className="shadow-sm",
                ),
                lg=6,
                className="mb-3",
            ),
            dbc.Col(
                dbc.Card(
                    [dbc.CardHeader("Walk-forward metrics vs baselines"), dbc.CardBody(metrics_table(manifest))],
                    className="shadow-sm",
                ),
                lg=6,
                className="mb-3",
            ),
        ]
    )


@callback(Output("model-body", "children"), Output("model-updated", "children"), Input("refresh", "n_intervals"))
def refresh(_n: int) -> tuple[Any, str]:
    try:
        body = get_client().current_model()
    except ApiError as exc:
        return api_error(exc, "Model"), updated_note("Checked")
    return render(body or {}), updated_note()


@callback(Output("model-health", "children"), Input("refresh", "n_intervals"))
def refresh_health(_n: int) -> Any:
    try:
        body = get_client().model_health(limit=HEALTH_RUNS)
    except ApiError as exc:
        return api_error(exc, "Model health")
    return health_card(body)
