"""Walk-forward evaluation: expanding window, purged, K folds; classification + the policy's book after costs.

Every number here is out of sample: fold k trains on dates before its test block (minus a
purge gap >= the label horizon) and predicts the block. Candidate selection and the
promotion gate (``ml.gate``) read only these numbers.

Folds are cut on the dates every symbol shares (the intersection of their date ranges), so each
test block scores every symbol of the universe, and no symbol is tested before it has history to
train on. Training also uses each symbol's earlier history (before the common span), which is
causal: it ends before the test block like everything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ml.backtest import backtest, buy_and_hold, performance
from ml.config import TrainConfig
from ml.dataset import Bars
from ml.features import Samples
from ml.gate import OutOfSample, select_and_gate
from ml.leakage import permutation_importance
from ml.modeling.train import KERAS_CANDIDATES, Fitted, fit_candidate
from ml.portfolio import PortfolioCurve, policy_backtest
from ml.trading_policy import TradingPolicy

Log = Callable[[str], None]


@dataclass(frozen=True)
class Split:
    fold: int
    train: np.ndarray  # sample indices
    test: np.ndarray
    test_start: str
    test_end: str
    train_end: str


def common_dates(samples: Samples) -> np.ndarray:
    """Dates on which every symbol has a sample."""
    per_symbol = [samples.dates[samples.symbols == s] for s in np.unique(samples.symbols)]
    common = per_symbol[0]
    for d in per_symbol[1:]:
        common = np.intersect1d(common, d)
    return np.unique(common)


def walk_forward_splits(samples: Samples, folds: int, min_train_frac: float, purge: int) -> list[Split]:
    """Expanding-window splits on the dates all symbols share.

    Test blocks tile the common dates after the first ``min_train_frac`` of them; fold k trains
    on every labelled row (any symbol, any earlier date) before its block except the last
    ``purge`` common dates, whose labels would read bars inside the test block.
    """
    common = common_dates(samples)
    n = len(common)
    first = int(n * min_train_frac)
    if folds < 1 or first <= purge or n - first < folds:
        raise ValueError(
            f"not enough dates shared by all symbols ({n}) for {folds} folds after {min_train_frac:.0%} warm-up"
        )
    bounds = np.linspace(first, n, folds + 1).astype(int)
    splits = []
    for k in range(folds):
        a, b = bounds[k], bounds[k + 1]
        train_cut = common[a - purge]  # train on dates strictly before this one
        train = np.flatnonzero((samples.dates < train_cut) & samples.labeled)
        test = np.flatnonzero((samples.dates >= common[a]) & (samples.dates <= common[b - 1]))
        splits.append(Split(k + 1, train, test, str(common[a]), str(common[b - 1]), str(samples.dates[train].max())))
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


def oos_book(
    samples: Samples, bars: dict[str, Bars], rows: np.ndarray, prob: np.ndarray | None, policy: TradingPolicy
) -> PortfolioCurve:
    """The policy's book over the out-of-sample rows (``ml.portfolio``); ``prob`` aligned with
    ``rows``, or None for buy-and-hold (the same weights, always long)."""
    dates = np.unique(samples.dates[rows])
    symbols = policy.universe
    day = np.searchsorted(dates, samples.dates[rows])
    col = np.searchsorted(np.array(symbols), samples.symbols[rows])
    open_, close, p = (np.full((len(dates), len(symbols)), np.nan) for _ in range(3))
    for j, sym in enumerate(symbols):
        mine = col == j
        t = samples.bar_index[rows[mine]]
        open_[day[mine], j], close[day[mine], j] = bars[sym].open[t], bars[sym].close[t]
        p[day[mine], j] = 1.0 if prob is None else prob[mine]
    targets = np.column_stack([policy.targets(p[:, j], sym) for j, sym in enumerate(symbols)])
    targets = np.where(np.isnan(close), np.nan, targets)  # no bar, no decision
    return policy_backtest(dates, symbols, open_, close, targets, policy.costs)


def symbol_metrics(
    samples: Samples, bars: dict[str, Bars], rows: np.ndarray, prob: np.ndarray | None, policy: TradingPolicy
) -> dict[str, dict[str, Any]]:
    """Per symbol: its out-of-sample dates, classification metrics, and the policy traded on that
    symbol alone, fully invested when long (``ml.backtest.backtest``; buy-and-hold when ``prob`` is None)."""
    out: dict[str, dict[str, Any]] = {}
    for sym in policy.universe:
        mine = np.flatnonzero(samples.symbols[rows] == sym)
        t = samples.bar_index[rows[mine]]
        o, c = bars[sym].open[t[0] : t[-1] + 1], bars[sym].close[t[0] : t[-1] + 1]
        if len(t) != len(o):
            raise ValueError(f"{sym}: out-of-sample bars are not contiguous")
        cls: dict[str, float]
        if prob is None:
            res, cls = buy_and_hold(o, c, policy.costs), {"n": len(t)}
        else:
            res = backtest(o, c, policy.targets(prob[mine], sym) > 0, policy.costs)
            cls = classification_metrics(samples.y[rows[mine]], prob[mine])
        out[sym] = {
            "test_start": str(samples.dates[rows[mine[0]]]),
            "test_end": str(samples.dates[rows[mine[-1]]]),
            **cls,
            **performance(res.equity, res.held, init_cash=1.0),
        }
    return out


@dataclass
class CandidateResult:
    name: str
    folds: list[dict[str, Any]] = field(default_factory=list)
    overall: dict[str, Any] = field(default_factory=dict)
    per_symbol: dict[str, dict[str, Any]] = field(default_factory=dict)
    prob: np.ndarray | None = None  # aligned with Evaluation.rows
    curve: PortfolioCurve | None = None
    seconds: float = 0.0
    epochs: list[int] = field(default_factory=list)
    fitted: list[Fitted] = field(default_factory=list)  # one per fold (permutation importance)


@dataclass
class Evaluation:
    splits: list[Split]
    rows: np.ndarray  # every test row of every fold, in sample order
    candidates: dict[str, CandidateResult]
    buy_and_hold: CandidateResult
    selected: str
    gate: dict[str, Any]
    policy: TradingPolicy
    data: dict[str, Any]  # how folds were cut, date ranges per symbol, label ties

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
            "data": self.data,
            "candidates": {
                n: {
                    "folds": c.folds,
                    "overall": c.overall,
                    "per_symbol": c.per_symbol,
                    "epochs": c.epochs,
                    "seconds": round(c.seconds, 2),
                }
                for n, c in self.candidates.items()
            },
            "buy_and_hold": {
                "folds": self.buy_and_hold.folds,
                "overall": self.buy_and_hold.overall,
                "per_symbol": self.buy_and_hold.per_symbol,
            },
            "policy": self.policy.to_manifest(),
            "selected": self.selected,
            "gate": self.gate,
        }


def _fold_backtest(curve: PortfolioCurve, split: Split) -> dict[str, float]:
    lo = np.searchsorted(curve.dates, np.datetime64(split.test_start))
    hi = np.searchsorted(curve.dates, np.datetime64(split.test_end), side="right")
    start_equity = curve.equity[lo - 1] if lo > 0 else 1.0
    return performance(
        curve.equity[lo:hi], curve.weights[lo:hi], init_cash=float(start_equity), trades=curve.fills[lo:hi]
    )


def _book_metrics(curve: PortfolioCurve) -> dict[str, float]:
    return performance(curve.equity, curve.weights, init_cash=1.0, trades=curve.fills)


def data_coverage(samples: Samples, splits: list[Split]) -> dict[str, Any]:
    """How the folds were cut, each symbol's sample range, and the label ties left out."""
    per = {}
    for sym in np.unique(samples.symbols):
        mine = samples.symbols == sym
        per[str(sym)] = {
            "first_date": str(samples.dates[mine].min()),
            "last_date": str(samples.dates[mine].max()),
            "rows": int(mine.sum()),
            "unlabelled": int((~samples.labeled[mine]).sum()),
        }
    common = common_dates(samples)
    return {
        "folds_cut_on": "dates shared by every symbol (intersection); training also uses earlier history",
        "common_first": str(common[0]),
        "common_last": str(common[-1]),
        "test_start": splits[0].test_start,
        "test_end": splits[-1].test_end,
        "per_symbol": per,
    }


def _fit_folds(
    name: str, samples: Samples, splits: list[Split], cfg: TrainConfig, res: CandidateResult, log: Log
) -> np.ndarray:
    parts = []
    for split in splits:
        log(
            f"[walk-forward] {name}: fold {split.fold}/{len(splits)} "
            f"train {len(split.train)} rows to {split.train_end}, test {split.test_start}..{split.test_end}"
        )
        fitted = fit_candidate(name, samples.take(split.train), cfg, seed_offset=split.fold)
        p = fitted.predict(samples.take(split.test))
        parts.append(p)
        res.fitted.append(fitted)
        res.epochs.append(fitted.epochs)
        res.folds.append({"fold": split.fold, **classification_metrics(samples.y[split.test], p)})
    return np.concatenate(parts)


def run_walk_forward(
    samples: Samples,
    bars: dict[str, Bars],
    cfg: TrainConfig,
    candidates: Sequence[str] | None = None,
    log: Log = print,
    configurations: int = 1,
) -> Evaluation:
    """Every model walk-forward, the books after costs, then selection and the gate.

    ``configurations``: how many configurations have been evaluated on this data (``ml.trials``);
    the gate corrects for the larger of it and ``cfg.gate.configurations``."""
    names = ["logistic", *(candidates if candidates is not None else cfg.candidates)]
    if cfg.purge < cfg.label.horizon:
        raise ValueError(f"purge ({cfg.purge}) must be >= the label horizon ({cfg.label.horizon})")
    splits = walk_forward_splits(samples, cfg.folds, cfg.min_train_frac, cfg.purge)
    rows = np.concatenate([s.test for s in splits])
    y = samples.y[rows]
    policy = TradingPolicy.for_universe(cfg.policy, cfg.costs, np.unique(samples.symbols).tolist())
    results: dict[str, CandidateResult] = {}
    for name in names:
        res = CandidateResult(name)
        t0 = time.perf_counter()
        res.prob = _fit_folds(name, samples, splits, cfg, res, log)
        res.seconds = time.perf_counter() - t0
        res.curve = oos_book(samples, bars, rows, res.prob, policy)
        for fold, split in zip(res.folds, splits, strict=True):
            fold.update(_fold_backtest(res.curve, split))
        res.overall = {
            **classification_metrics(y, res.prob),
            **_book_metrics(res.curve),
            "calibration": calibration_curve(y, res.prob),
        }
        res.per_symbol = symbol_metrics(samples, bars, rows, res.prob, policy)
        results[name] = res

    bh = CandidateResult("buy_and_hold")
    bh.curve = oos_book(samples, bars, rows, None, policy)
    bh.folds = [{"fold": s.fold, **_fold_backtest(bh.curve, s)} for s in splits]
    bh.overall = _book_metrics(bh.curve)
    bh.per_symbol = symbol_metrics(samples, bars, rows, None, policy)

    def importance(name: str) -> list[tuple[str, float]]:
        fitted = results[name].fitted

        def predict(raw: np.ndarray) -> np.ndarray:
            bounds = np.cumsum([0, *(len(s.test) for s in splits)])
            return np.concatenate(
                [f.predict_raw(raw[a:b]) for f, a, b in zip(fitted, bounds[:-1], bounds[1:], strict=True)]
            )

        raw = samples.seq[rows] if fitted[0].is_sequence else samples.x[rows]
        return permutation_importance(predict, raw, y, samples.feature_names, cfg.seed)

    spec = replace(cfg.gate, configurations=max(cfg.gate.configurations, configurations))
    oos = OutOfSample(
        scores={n: r.prob for n, r in results.items() if r.prob is not None},
        y=y,
        row_date=np.searchsorted(bh.curve.dates, samples.dates[rows]),
        returns={n: r.curve.returns for n, r in results.items() if r.curve is not None},
        buy_and_hold=bh.curve.returns,
    )
    selected, gate = select_and_gate(
        oos,
        overall={**{n: r.overall for n, r in results.items()}, "buy_and_hold": bh.overall},
        candidates=[n for n in names if n in KERAS_CANDIDATES],
        spec=spec,
        seed=cfg.seed,
        importance=importance,
        per_symbol={n: r.per_symbol for n, r in results.items()},
    )
    gate["feature_causality"] = {
        "passed": True,  # build_samples raises otherwise
        "checked": "features on bars truncated at t == features on the full series at t",
        "cuts_per_symbol": len(samples.causality[0]["points"]) if samples.causality else 0,  # type: ignore[arg-type]
        "symbols": [str(c["symbol"]) for c in samples.causality],
    }
    return Evaluation(splits, rows, results, bh, selected, gate, policy, data_coverage(samples, splits))
