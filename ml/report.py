"""report.html + PNG plots (equity vs buy-and-hold, drawdown, calibration), all out of sample."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import numpy as np

from ml.backtest import drawdown
from ml.table import TEST_HEADER, gate_summary, gate_test_rows

PLOTS = ("equity.png", "drawdown.png", "calibration.png")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # headless: CI and servers have no display
    import matplotlib.pyplot as plt

    return plt


def write_plots(out_dir: Path, curves: dict[str, np.ndarray], summary: dict[str, Any]) -> list[Path]:
    """``curves`` holds ``dates`` and ``equity_<name>`` arrays (out-of-sample portfolio, start 1.0)."""
    plt = _plt()
    dates = curves["dates"].astype("datetime64[D]")
    selected = summary["selected"]
    names = [n for n in (selected, "logistic", "buy_and_hold") if f"equity_{n}" in curves]
    paths = []

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for n in names:
        ax.plot(
            dates,
            curves[f"equity_{n}"],
            label=n + (" (selected)" if n == selected else ""),
            lw=1.6 if n == selected else 1.0,
        )
    ax.set_title("Out-of-sample equity after costs (walk-forward, the policy's book)")
    ax.set_ylabel("equity (start = 1)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    paths.append(out_dir / "equity.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 3.5))
    for n in names:
        ax.fill_between(dates, drawdown(curves[f"equity_{n}"]), 0, alpha=0.35 if n == selected else 0.15, label=n)
    ax.set_title("Drawdown")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    paths.append(out_dir / "drawdown.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="perfect")
    lo, hi = 1.0, 0.0
    for n in (selected, "logistic"):
        cal = summary["candidates"][n]["overall"]["calibration"]
        ax.plot(cal["mean_predicted"], cal["fraction_positive"], "o-", label=n)
        if cal["mean_predicted"]:
            lo = min(lo, *cal["mean_predicted"], *cal["fraction_positive"])
            hi = max(hi, *cal["mean_predicted"], *cal["fraction_positive"])
    pad = 0.02
    ax.set_xlim(lo - pad, hi + pad)  # probabilities sit near 0.5: zoom where the points are
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("mean predicted probability (decile bins)")
    ax.set_ylabel("observed fraction up")
    ax.set_title("Calibration (out of sample)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    paths.append(out_dir / "calibration.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _gate_html(gate: dict[str, Any]) -> str:
    verdict = "PASS" if gate["passed"] else "FAIL"
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in gate.get("reasons", []))
    notes = "".join(f"<li>{html.escape(line)}</li>" for line in gate_summary(gate))
    blamed = "".join(
        f"<li>{html.escape(t['model'])}: {html.escape(' and '.join(t['why']))}; shuffling "
        + ", ".join(f"{html.escape(f['name'])} loses {f['auc_drop']:.3f} AUC" for f in t["features"])
        + "</li>"
        for t in gate["look_ahead"]["tripped"]
    )
    return (
        f"<h2>Promotion gate: {verdict}</h2>"
        "<p>Each test: the candidate minus the benchmark, out of sample and after costs, with its bootstrap "
        "interval and p-value (raw, and adjusted for the trials counted).</p>"
        f"{_table(TEST_HEADER, gate_test_rows(gate))}<ul>{notes}</ul>"
        + (f"<h3>Likely look-ahead</h3><ul>{blamed}</ul>" if blamed else "")
        + (f"<h3>Why it is refused</h3><ul>{reasons}</ul>" if reasons else "")
    )


def write_html(out_dir: Path, manifest: dict[str, Any], table: tuple[list[str], list[list[str]]]) -> Path:
    """Self-contained page (plots inlined) that also sits next to the PNGs in the bucket."""
    imgs = "".join(
        f'<figure><img alt="{p}" src="data:image/png;base64,'
        f'{base64.b64encode((out_dir / p).read_bytes()).decode()}"><figcaption>{p}</figcaption></figure>'
        for p in PLOTS
        if (out_dir / p).exists()
    )
    gate, policy, costs = manifest["gate"], manifest["policy"], manifest["costs"]
    wf = manifest["walk_forward"]["data"]
    data = manifest["training_data"]
    facts = {
        "model": f"{manifest['name']} {manifest['version']} ({manifest['model']['kind']})",
        "created": manifest["created_at"],
        "training data": "; ".join(
            f"{s} {v['first_date']}..{v['last_date']} ({v['rows']} bars)" for s, v in data["per_symbol"].items()
        ),
        "folds": f"cut on the dates all symbols share ({wf['common_first']}..{wf['common_last']}); "
        f"out of sample {wf['test_start']}..{wf['test_end']}",
        "label": manifest["label"]["definition"],
        "ties": manifest["label"]["ties"]
        + "; unlabelled rows: "
        + ", ".join(f"{s} {v['unlabelled']}" for s, v in wf["per_symbol"].items()),
        "costs": f"commission {costs['commission_bps']} bps, slippage {costs['slippage_bps']} bps",
        "policy": f"universe {', '.join(policy['universe'])}; weight when long "
        + ", ".join(f"{s} {w:g}" for s, w in policy["weights"].items())
        + f"; enter p > {policy['enter']}, exit p < {policy['exit']} (evaluated and traded alike)",
        "ONNX parity": f"max |onnx - keras| = {manifest['onnx_parity']['max_abs_diff']:.2e} "
        f"on {manifest['onnx_parity']['rows']} rows",
        "training time": f"{manifest['training']['seconds']:.1f} s final fit, "
        f"{manifest['training']['walk_forward_seconds']:.1f} s walk-forward",
    }
    facts_html = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts.items())
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tradeloop model {html.escape(manifest["version"])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}}
table{{border-collapse:collapse;font-size:13px;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left}}
img{{max-width:100%}}figure{{margin:1em 0}}</style></head><body>
<h1>tradeloop model {html.escape(manifest["version"])}</h1>
<table>{facts_html}</table>
{_gate_html(gate)}
<h2>Walk-forward, out of sample, after costs</h2>
<p>Expanding window, {len(manifest["walk_forward"]["folds"])} folds, purge {manifest["training"]["config"]["purge"]}
bars. Fold and <i>all</i> rows: the policy's book (every symbol at its weight, sized as live trading sizes it);
<i>buy_and_hold</i>: the same weights, always long. A symbol row: that symbol traded alone, fully invested when
long, over its own out-of-sample dates. Hit rate = share of invested days with a positive return.
Turnover = trades per symbol-year. Expo = mean gross exposure.</p>
{_table(*table)}
<h2>Plots</h2>{imgs}
</body></html>"""
    path = out_dir / "report.html"
    path.write_text(page)
    return path
