"""Walk-forward evaluation: expanding window, purged, K folds; classification + backtest after costs.

Every number here is out of sample: fold k trains on dates before its test block (minus a
purge gap >= the label horizon) and predicts the block. Candidate selection and the
promotion gate read only these numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ml.backtest import backtest, buy_and_hold, performance, positions_from_probability
from ml.config import TrainConfig
from ml.dataset import Bars
from ml.features import Samples
from ml.modeling.train import KERAS_CANDIDATES, fit_candidate

Log = Callable[[str], None]


@dataclass(frozen=True)
class Split:
    fold: int
    train: np.ndarray  # sample indices
    test: np.ndarray
    test_start: str
    test_end: str
    train_end: str


def walk_forward_splits(samples: Samples, folds: int, min_train_frac: float, purge: int) -> list[Split]:
    """Expanding-window splits on the date axis shared by all symbols.

    Test blocks tile the dates after the first ``min_train_frac``; fold k trains on every
    date before its block except the last ``purge`` ones, whose labels would read bars
    inside the test block.
    """
    udates = np.unique(samples.dates)
    n = len(udates)
    first = int(n * min_train_frac)
    if folds < 1 or first <= purge or n - first < folds:
        raise ValueError(f"not enough dates ({n}) for {folds} folds after {min_train_frac:.0%} warm-up")
    bounds = np.linspace(first, n, folds + 1).astype(int)
    splits = []
    for k in range(folds):
        a, b = bounds[k], bounds[k + 1]
        train_cut = udates[a - purge]  # train on dates strictly before this one
        train = np.flatnonzero((samples.dates < train_cut) & samples.labeled)
        test = np.flatnonzero((samples.dates >= udates[a]) & (samples.dates <= udates[b - 1]))
        splits.append(Split(k + 1, train, test, str(udates[a]), str(udates[b - 1]), str(samples.dates[train].max())))
    return splits


def classification_metrics(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, float]:
    from sklearn.metrics import log_loss, roc_auc_score

    mask = ~np.isnan(y)
    y, p = y[mask].astype(int), np.clip(p[mask], 1e-7, 1 - 1e-7)
    if len(y) == 0:
        return {"n": 0}
    two_classes = len(np.unique(y)) == 2
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    ece = sum(
        abs(p[which == i].mean() - y[which == i].mean()) * (which == i).mean()
        for i in range(bins)
        if (which == i).any()
    )
    return {
        "n": int(len(y)),
        "auc": float(roc_auc_score(y, p)) if two_classes else float("nan"),
        "accuracy": float(((p > 0.5) == y).mean()),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "brier": float(np.mean((p - y) ** 2)),
        "ece": float(ece),
        "base_rate": float(y.mean()),
        "mean_prob": float(p.mean()),
    }


def calibration_curve(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, list[float]]:
    mask = ~np.isnan(y)
    y, p = y[mask], p[mask]
    # Quantile bins: model probabilities crowd near the base rate, fixed bins would be empty.
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1))) if len(p) else np.array([0.0, 1.0])
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    out: dict[str, list[float]] = {"mean_predicted": [], "fraction_positive": [], "count": []}
    for i in range(len(edges) - 1):
        m = which == i
        if m.any():
            out["mean_predicted"].append(float(p[m].mean()))
            out["fraction_positive"].append(float(y[m].mean()))
            out["count"].append(float(m.sum()))
    return out


@dataclass
class PortfolioCurve:
    dates: np.ndarray
    equity: np.ndarray
    held: np.ndarray  # [n_dates, n_symbols]


def oos_portfolio(
    samples: Samples,
    bars: dict[str, Bars],
    rows: np.ndarray,
    prob: np.ndarray | None,
    cfg: TrainConfig,
) -> PortfolioCurve:
    """Equal sleeves per symbol, each backtested over its out-of-sample bars; ``prob=None`` is buy-and-hold.

    ``rows`` are sample indices (all test rows of all folds), ``prob`` their probabilities.
    """
    all_dates = np.unique(samples.dates[rows])
    symbols = sorted(set(samples.symbols[rows].tolist()))
    eq = np.ones((len(all_dates), len(symbols)))
    held = np.zeros_like(eq)
    for j, sym in enumerate(symbols):
        mine = rows[samples.symbols[rows] == sym]
        mine = mine[np.argsort(samples.bar_index[mine])]
        t = samples.bar_index[mine]
        b = bars[sym]
        o, c = b.open[t[0] : t[-1] + 1], b.close[t[0] : t[-1] + 1]
        if len(t) != len(o):
            raise ValueError(f"{sym}: out-of-sample bars are not contiguous")
        if prob is None:
            res = buy_and_hold(o, c, cfg.costs)
        else:
            res = backtest(o, c, positions_from_probability(_aligned(prob, rows, mine), cfg.policy), cfg.costs)
        pos = np.searchsorted(all_dates, samples.dates[mine])
        col = np.full(len(all_dates), np.nan)
        col[pos] = res.equity
        # Before a symbol's first bar its sleeve is cash; on its missing days, carry it.
        col[: pos[0]] = 1.0
        idx = np.where(np.isnan(col), 0, np.arange(len(col)))
        np.maximum.accumulate(idx, out=idx)
        eq[:, j] = col[idx]
        held[pos, j] = res.held
    return PortfolioCurve(all_dates, eq.mean(axis=1), held)


def _aligned(prob: np.ndarray, rows: np.ndarray, mine: np.ndarray) -> np.ndarray:
    """Probabilities of ``mine`` (a subset of ``rows``), given ``prob`` aligned with ``rows``."""
    lookup = {int(r): i for i, r in enumerate(rows)}
    return prob[[lookup[int(r)] for r in mine]]


@dataclass
class CandidateResult:
    name: str
    folds: list[dict[str, Any]] = field(default_factory=list)
    overall: dict[str, Any] = field(default_factory=dict)
    prob: np.ndarray | None = None  # aligned with Evaluation.rows
    curve: PortfolioCurve | None = None
    seconds: float = 0.0
    epochs: list[int] = field(default_factory=list)


@dataclass
class Evaluation:
    splits: list[Split]
    rows: np.ndarray  # every test row of every fold, in sample order
    candidates: dict[str, CandidateResult]
    buy_and_hold: CandidateResult
    selected: str
    gate: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """JSON-ready walk-forward results for the manifest."""
        return {
            "folds": [
                {
                    "fold": s.fold,
                    "train_end": s.train_end,
                    "test_start": s.test_start,
                    "test_end": s.test_end,
                    "n_train": int(len(s.train)),
                    "n_test": int(len(s.test)),
                }
                for s in self.splits
            ],
            "candidates": {
                n: {
                    "folds": c.folds,
                    "overall": c.overall,
                    "epochs": c.epochs,
                    "seconds": round(c.seconds, 2),
                }
                for n, c in self.candidates.items()
            },
            "buy_and_hold": {"folds": self.buy_and_hold.folds, "overall": self.buy_and_hold.overall},
            "selected": self.selected,
            "gate": self.gate,
        }


def _fold_backtest(curve: PortfolioCurve, split: Split) -> dict[str, float]:
    lo = np.searchsorted(curve.dates, np.datetime64(split.test_start))
    hi = np.searchsorted(curve.dates, np.datetime64(split.test_end), side="right")
    start_equity = curve.equity[lo - 1] if lo > 0 else 1.0
    return performance(curve.equity[lo:hi], curve.held[lo:hi], init_cash=float(start_equity))


def run_walk_forward(
    samples: Samples,
    bars: dict[str, Bars],
    cfg: TrainConfig,
    candidates: Sequence[str] | None = None,
    log: Log = print,
) -> Evaluation:
    names = ["logistic", *(candidates if candidates is not None else cfg.candidates)]
    if cfg.purge < cfg.label.horizon:
        raise ValueError(f"purge ({cfg.purge}) must be >= the label horizon ({cfg.label.horizon})")
    splits = walk_forward_splits(samples, cfg.folds, cfg.min_train_frac, cfg.purge)
    rows = np.concatenate([s.test for s in splits])
    y = samples.y[rows]
    results: dict[str, CandidateResult] = {}
    for name in names:
        res = CandidateResult(name)
        prob = np.empty(len(rows))
        offset = 0
        t0 = time.perf_counter()
        for split in splits:
            log(
                f"[walk-forward] {name}: fold {split.fold}/{len(splits)} "
                f"train {len(split.train)} rows to {split.train_end}, test {split.test_start}..{split.test_end}"
            )
            fitted = fit_candidate(name, samples.take(split.train), cfg, seed_offset=split.fold)
            p = fitted.predict(samples.take(split.test))
            prob[offset : offset + len(p)] = p
            offset += len(p)
            res.epochs.append(fitted.epochs)
            res.folds.append({"fold": split.fold, **classification_metrics(samples.y[split.test], p)})
        res.seconds = time.perf_counter() - t0
        res.prob = prob
        res.curve = oos_portfolio(samples, bars, rows, prob, cfg)
        for fold, split in zip(res.folds, splits, strict=True):
            fold.update(_fold_backtest(res.curve, split))
        res.overall = {
            **classification_metrics(y, prob),
            **performance(res.curve.equity, res.curve.held, init_cash=1.0),
            "calibration": calibration_curve(y, prob),
        }
        results[name] = res

    bh = CandidateResult("buy_and_hold")
    bh.curve = oos_portfolio(samples, bars, rows, None, cfg)
    bh.folds = [{"fold": s.fold, **_fold_backtest(bh.curve, s)} for s in splits]
    bh.overall = performance(bh.curve.equity, bh.curve.held, init_cash=1.0)

    selected, gate = select_and_gate(results, cfg, bh.overall)
    return Evaluation(splits, rows, results, bh, selected, gate)


def select_and_gate(
    results: dict[str, CandidateResult], cfg: TrainConfig, buy_and_hold: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """Best Keras candidate on the pooled out-of-sample metric, then the promotion gate.

    The gate passes only when the candidate beats the logistic baseline out of sample on BOTH
    the selection metric (by more than ``gate_margin``: a 0.0001 AUC edge is noise, not skill)
    and after-cost Sharpe (a model that ranks slightly better but trades worse is not better).
    Buy-and-hold is recorded beside it so a reader sees the bar a long-only investor sets."""
    metric = cfg.selection_metric
    higher_is_better = metric not in ("log_loss", "brier", "ece")
    keras_names = [n for n in results if n in KERAS_CANDIDATES]
    if not keras_names:
        raise ValueError("no Keras candidate was evaluated")

    def score(n: str) -> float:
        v = float(results[n].overall.get(metric, float("nan")))
        return -math.inf if math.isnan(v) else (v if higher_is_better else -v)

    selected = max(keras_names, key=score)
    cand = float(results[selected].overall[metric])
    base = float(results["logistic"].overall[metric])
    edge = (cand - base) if higher_is_better else (base - cand)
    cand_sharpe = float(results[selected].overall.get("sharpe", float("nan")))
    base_sharpe = float(results["logistic"].overall.get("sharpe", float("nan")))
    reasons = []
    if not edge > cfg.gate_margin:
        reasons.append(f"{metric} edge over logistic {edge:+.4f} is not above the margin {cfg.gate_margin}")
    if not cand_sharpe > base_sharpe:  # NaN fails too
        reasons.append(f"after-cost Sharpe {cand_sharpe:+.2f} does not beat logistic {base_sharpe:+.2f}")
    return selected, {
        "metric": metric,
        "candidate": cand,
        "logistic": base,
        "margin": cfg.gate_margin,
        "candidate_sharpe": cand_sharpe,
        "logistic_sharpe": base_sharpe,
        "buy_and_hold_sharpe": float((buy_and_hold or {}).get("sharpe", float("nan"))),
        "passed": not reasons,
        "reasons": reasons,
    }


# ---------------------------------------------------------------------------------- printing

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
    ("hit_rate", "hit", "{:.3f}"),
)


def _fmt(row: dict[str, Any], key: str, fmt: str) -> str:
    v = row.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return fmt.format(v)


def table_rows(ev: Evaluation) -> tuple[list[str], list[list[str]]]:
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
            [
                res.name + mark,
                "all",
                period,
                str(o.get("n", len(ev.rows))),
                *(_fmt(o, k, fmt) for k, _, fmt in _COLS),
            ]
        )
    return header, out


def print_table(ev: Evaluation, log: Log = print) -> None:
    header, rows = table_rows(ev)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    log("walk-forward (out of sample, after costs; * = selected)")
    log(line)
    log("-" * len(line))
    for r in rows:
        log("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    g = ev.gate
    log(
        f"gate: {ev.selected} {g['metric']}={g['candidate']:.4f} vs logistic {g['logistic']:.4f} "
        f"(margin {g['margin']}), Sharpe {g['candidate_sharpe']:+.2f} vs logistic {g['logistic_sharpe']:+.2f} "
        f"(buy-and-hold {g['buy_and_hold_sharpe']:+.2f}) -> {'PASS' if g['passed'] else 'FAIL'}"
    )
    for reason in g["reasons"]:
        log(f"gate: {reason}")
