"""The promotion gate: skill, not noise, and nothing too good to be true.

The selected candidate (best pooled out-of-sample AUC among the Keras candidates) is promoted only
if ALL of these hold, out of sample and after costs:

- ``auc_vs_chance``:          its AUC - 0.5 > 0
- ``auc_vs_logistic``:        its AUC - the logistic baseline's AUC > 0 (same rows)
- ``sharpe_vs_logistic``:     its Sharpe - the logistic book's Sharpe > 0 (same dates)
- ``sharpe_vs_buy_and_hold``: its Sharpe - the always-long book's Sharpe > 0 (same dates, weights)
- the look-ahead sentinel (``ml.leakage``) finds no model too good for daily bars.

Each difference is tested with the stationary bootstrap over dates (``ml.bootstrap``), the same
replicates for every model, so the paired differences keep their correlation.

Multiple candidates: the candidate is picked on the same out-of-sample data it is tested on. Each
test therefore uses the single-step max-t adjustment (White's reality check, studentised as in
Romano and Wolf 2005): the p-value of the selected candidate is the bootstrap probability that the
BEST studentised statistic of all K candidates, centred, reaches the selected one's. That bounds
the chance of passing a skill-less candidate by the level whichever of the K is picked, and costs
less power than Bonferroni because the candidates' errors are correlated. Configurations tried on
this data in other runs (other features, seeds, windows; ``GateSpec.configurations``, counted by
``ml.trials``) cannot be resampled jointly, so they are Bonferroni-corrected on top: p x M.

All tests must pass (an intersection-union test), so the gate's level is the level of each test:
no further correction across the four is needed. The interval shown is the estimate -/+ the
critical value of the adjusted distribution times the bootstrap standard error: the test passes
exactly when its lower end is above 0."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ml.bootstrap import auc_replicates, default_mean_block, sharpe_replicates, stationary_counts
from ml.config import GateSpec
from ml.leakage import implausible

TESTS: tuple[tuple[str, str], ...] = (
    ("auc_vs_chance", "AUC - 0.5"),
    ("auc_vs_logistic", "AUC - logistic AUC"),
    ("sharpe_vs_logistic", "Sharpe - logistic Sharpe"),
    ("sharpe_vs_buy_and_hold", "Sharpe - buy-and-hold Sharpe"),
)
BASELINE = "logistic"
Importance = Callable[[str], list[tuple[str, float]]]


def _adjusted(
    estimates: np.ndarray, replicates: np.ndarray, pick: int, level: float, configurations: int
) -> dict[str, Any]:
    """Max-t test for candidate ``pick`` among the columns of ``replicates`` ([B, K]), Bonferroni x M."""
    se = replicates.std(axis=0, ddof=1)
    ok = se > 0
    # A statistic that does not vary (a constant model) carries no evidence: t = 0, never significant.
    t_hat = np.where(ok, estimates / np.where(ok, se, 1.0), 0.0)
    t_star = np.where(ok, (replicates - estimates) / np.where(ok, se, 1.0), 0.0)
    best = t_star.max(axis=1)
    b = len(best)
    p_raw = (1 + np.sum(t_star[:, pick] >= t_hat[pick])) / (b + 1)
    p_max = (1 + np.sum(best >= t_hat[pick])) / (b + 1)
    crit = float(np.quantile(best, 1 - level / configurations))
    est, s = float(estimates[pick]), float(se[pick])
    p_adj = min(1.0, float(p_max) * configurations)
    return {
        "estimate": est,
        "se": s,
        "interval": [est - crit * s, est + crit * s],
        "p_value": float(p_raw),
        "p_adjusted": p_adj,
        "passed": bool(p_adj < level and est - crit * s > 0),
    }


@dataclass(frozen=True)
class OutOfSample:
    """What the gate tests: every model's out-of-sample scores and book returns, after costs."""

    scores: Mapping[str, np.ndarray]  # per model (the candidates and ``logistic``), one per row
    y: np.ndarray  # the rows' labels, NaN where a row has none
    row_date: np.ndarray  # each row's index into the dates of the returns
    returns: Mapping[str, np.ndarray]  # per model, the book's daily returns
    buy_and_hold: np.ndarray  # the same book always long, daily returns


def significance_tests(
    oos: OutOfSample, candidates: list[str], selected: str, spec: GateSpec, seed: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The four tests for ``selected`` (adjusted over ``candidates``), and how they were run."""
    n_dates = len(oos.buy_and_hold)
    mean_block = spec.mean_block or default_mean_block(n_dates)
    counts = stationary_counts(n_dates, spec.replicates, mean_block, np.random.default_rng(seed))
    ones = np.ones((1, n_dates))
    labelled = ~np.isnan(oos.y)
    yl, dl = oos.y[labelled].astype(int), oos.row_date[labelled]
    models = [*candidates, BASELINE]
    auc = {m: auc_replicates(oos.scores[m][labelled], yl, dl, counts) for m in models}
    auc_hat = {m: float(auc_replicates(oos.scores[m][labelled], yl, dl, ones)[0]) for m in models}
    shp = {m: sharpe_replicates(oos.returns[m], counts) for m in models}
    shp_hat = {m: float(sharpe_replicates(oos.returns[m], ones)[0]) for m in models}
    bh, bh_hat = sharpe_replicates(oos.buy_and_hold, counts), float(sharpe_replicates(oos.buy_and_hold, ones)[0])
    diffs = {
        "auc_vs_chance": ([auc_hat[k] - 0.5 for k in candidates], [auc[k] - 0.5 for k in candidates]),
        "auc_vs_logistic": (
            [auc_hat[k] - auc_hat[BASELINE] for k in candidates],
            [auc[k] - auc[BASELINE] for k in candidates],
        ),
        "sharpe_vs_logistic": (
            [shp_hat[k] - shp_hat[BASELINE] for k in candidates],
            [shp[k] - shp[BASELINE] for k in candidates],
        ),
        "sharpe_vs_buy_and_hold": ([shp_hat[k] - bh_hat for k in candidates], [shp[k] - bh for k in candidates]),
    }
    pick = candidates.index(selected)
    tests = []
    for name, statistic in TESTS:
        est, reps = diffs[name]
        tests.append(
            {
                "name": name,
                "statistic": statistic,
                **_adjusted(np.array(est), np.column_stack(reps), pick, spec.level, spec.configurations),
            }
        )
    method = {
        "method": "stationary bootstrap over out-of-sample dates (all symbols of a date together), "
        "studentised max-t over the candidates (reality check), Bonferroni over other configurations",
        "replicates": spec.replicates,
        "mean_block_dates": round(mean_block, 2),
        "dates": n_dates,
        "rows": int(labelled.sum()),
        "seed": seed,
    }
    return tests, method


def sentinel(
    overall: Mapping[str, Mapping[str, Any]],
    per_symbol: Mapping[str, Mapping[str, Mapping[str, Any]]],
    spec: GateSpec,
    importance: Importance | None,
) -> dict[str, Any]:
    """Models whose out-of-sample result is too good for daily bars, with the features to blame."""
    tripped = []
    for name, metrics in overall.items():
        why = implausible(metrics, per_symbol.get(name, {}), spec.max_plausible_auc, spec.max_plausible_sharpe)
        if why:
            top = importance(name)[:3] if importance else []
            tripped.append({"model": name, "why": why, "features": [{"name": n, "auc_drop": d} for n, d in top]})
    return {
        "max_plausible_auc": spec.max_plausible_auc,
        "max_plausible_sharpe": spec.max_plausible_sharpe,
        "tripped": tripped,
        "passed": not tripped,
    }


def select_and_gate(
    oos: OutOfSample,
    overall: Mapping[str, Mapping[str, Any]],
    candidates: list[str],
    spec: GateSpec,
    seed: int,
    importance: Importance | None = None,
    per_symbol: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Pick the candidate with the best pooled out-of-sample AUC, then run the gate on it.

    ``overall`` holds every model's pooled metrics (the candidates, ``logistic``, and
    ``buy_and_hold``'s book) for the sentinel and the summary; ``per_symbol`` each model's
    metrics by symbol (the sentinel reads their AUC)."""
    if not candidates:
        raise ValueError("no Keras candidate was evaluated")

    def auc_of(n: str) -> float:
        v = float(overall[n].get("auc", float("nan")))
        return -np.inf if np.isnan(v) else v

    selected = max(candidates, key=auc_of)
    tests, method = significance_tests(oos, list(candidates), selected, spec, seed)
    models = {n: m for n, m in overall.items() if n != "buy_and_hold"}
    look_ahead = sentinel(models, per_symbol or {}, spec, importance)
    reasons = [
        f"likely look-ahead: {t['model']} out of sample {' and '.join(t['why'])} (too good for daily bars); "
        "features most responsible: "
        + (", ".join(f"{f['name']} (AUC -{f['auc_drop']:.3f} when shuffled)" for f in t["features"]) or "n/a")
        for t in look_ahead["tripped"]
    ]
    counted = len(candidates) * spec.configurations
    for t in tests:
        if not t["passed"]:
            lo, hi = t["interval"]
            reasons.append(
                f"{t['name']}: {t['statistic']} = {t['estimate']:+.4f}, interval [{lo:+.4f}, {hi:+.4f}], "
                f"p = {t['p_adjusted']:.3f} (adjusted for {counted} trials) is not below {spec.level}"
            )
    cand, base = overall[selected], overall[BASELINE]
    bh = overall.get("buy_and_hold", {})
    return selected, {
        "passed": not reasons,
        "reasons": reasons,
        "level": spec.level,
        "tests": tests,
        "bootstrap": method,
        "trials": {
            "candidates": len(candidates),
            "configurations": spec.configurations,
            "counted": counted,
            "correction": "max-t over the candidates of this run; Bonferroni x configurations",
        },
        "look_ahead": look_ahead,
        # The headline numbers (the dashboard's Model page shows them).
        "metric": "auc",
        "candidate": float(cand.get("auc", float("nan"))),
        "logistic": float(base.get("auc", float("nan"))),
        "candidate_sharpe": float(cand.get("sharpe", float("nan"))),
        "logistic_sharpe": float(base.get("sharpe", float("nan"))),
        "buy_and_hold_sharpe": float(bh.get("sharpe", float("nan"))),
    }
