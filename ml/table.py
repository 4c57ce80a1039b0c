"""The walk-forward table and the gate's verdict as text: printed by ``evaluate``, stored as
``table.json`` (``make ml-report``) and rendered in report.html."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ml.evaluate import Evaluation

Log = Callable[[str], None]

_COLS = (
    ("auc", "AUC", "{:.3f}"),
    ("accuracy", "acc", "{:.3f}"),
    ("log_loss", "logloss", "{:.4f}"),
    ("ece", "ECE", "{:.3f}"),
    ("cagr", "CAGR", "{:+.1%}"),
    ("sharpe", "Sharpe", "{:+.2f}"),
    ("sortino", "Sortino", "{:+.2f}"),
    ("max_drawdown", "MaxDD", "{:.1%}"),
    ("turnover", "turn/yr", "{:.1f}"),
    ("exposure", "expo", "{:.2f}"),
    ("hit_rate", "hit", "{:.3f}"),
)
TEST_HEADER = ["test", "statistic", "estimate", "interval", "p", "p adj", "pass"]


def _fmt(row: dict[str, Any], key: str, fmt: str) -> str:
    v = row.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return fmt.format(v)


def table_rows(ev: Evaluation) -> tuple[list[str], list[list[str]]]:
    """Per model: each fold and ``all`` (the policy's book), then each symbol traded alone."""
    header = ["model", "fold", "test period", "n", *(c[1] for c in _COLS)]
    out: list[list[str]] = []
    for res in [*ev.candidates.values(), ev.buy_and_hold]:
        for f, s in zip(res.folds, ev.splits, strict=True):
            out.append(
                [
                    res.name,
                    str(f["fold"]),
                    f"{s.test_start}..{s.test_end}",
                    str(f.get("n", len(s.test))),
                    *(_fmt(f, k, fmt) for k, _, fmt in _COLS),
                ]
            )
        o = res.overall
        period = f"{ev.splits[0].test_start}..{ev.splits[-1].test_end}"
        mark = " *" if res.name == ev.selected else ""
        out.append(
            [res.name + mark, "all", period, str(o.get("n", len(ev.rows))), *(_fmt(o, k, fmt) for k, _, fmt in _COLS)]
        )
        for sym, m in res.per_symbol.items():
            out.append(
                [
                    res.name,
                    sym,
                    f"{m['test_start']}..{m['test_end']}",
                    str(m.get("n", "")),
                    *(_fmt(m, k, fmt) for k, _, fmt in _COLS),
                ]
            )
    return header, out


def gate_test_rows(gate: dict[str, Any]) -> list[list[str]]:
    return [
        [
            t["name"],
            t["statistic"],
            f"{t['estimate']:+.4f}",
            f"[{t['interval'][0]:+.4f}, {t['interval'][1]:+.4f}]",
            f"{t['p_value']:.3f}",
            f"{t['p_adjusted']:.3f}",
            "yes" if t["passed"] else "no",
        ]
        for t in gate["tests"]
    ]


def gate_summary(gate: dict[str, Any]) -> list[str]:
    """How the gate was run, the sentinel and the causality check, one line each."""
    b, tr, la = gate["bootstrap"], gate["trials"], gate["look_ahead"]
    lines = [
        f"level {gate['level']} (family-wise); trials counted {tr['counted']} = {tr['candidates']} candidates x "
        f"{tr['configurations']} configuration(s) ({tr['correction']})",
        f"stationary bootstrap: {b['replicates']} replicates, mean block {b['mean_block_dates']} dates, "
        f"over {b['dates']} out-of-sample dates ({b['rows']} labelled rows); intervals are adjusted, "
        "a test passes when its lower end is above 0",
        f"look-ahead sentinel (OOS AUC > {la['max_plausible_auc']} or Sharpe > {la['max_plausible_sharpe']} "
        f"on daily bars): {'clear' if la['passed'] else 'TRIPPED by ' + ', '.join(t['model'] for t in la['tripped'])}",
    ]
    fc = gate.get("feature_causality")
    if fc:
        lines.append(
            f"feature causality: features on bars truncated at t == on the full series, "
            f"{fc['cuts_per_symbol']} cuts x {len(fc['symbols'])} symbols: passed"
        )
    return lines


def _aligned(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    return [line, "-" * len(line), *("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)]


def print_table(ev: Evaluation, log: Log = print) -> None:
    header, rows = table_rows(ev)
    cut = ev.data
    log(
        "walk-forward (out of sample, after costs; * = selected; folds cut on the dates all symbols share, "
        f"{cut['common_first']}..{cut['common_last']}; 'all' = the policy's book, weights "
        + ", ".join(f"{s} {w:g}" for s, w in ev.policy.weights.items())
        + "; a symbol row = that symbol traded alone, fully invested when long)"
    )
    for line in _aligned(header, rows):
        log(line)
    g = ev.gate
    log(f"gate for {ev.selected}:")
    for line in _aligned(TEST_HEADER, gate_test_rows(g)):
        log("  " + line)
    for line in gate_summary(g):
        log("  " + line)
    log(f"gate: {ev.selected} -> {'PASS' if g['passed'] else 'FAIL'}")
    for reason in g["reasons"]:
        log(f"gate: {reason}")
