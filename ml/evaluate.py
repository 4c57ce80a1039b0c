"""Walk-forward evaluation: every candidate fitted fold by fold (``ml.splits``), its
out-of-sample probabilities scored (``ml.metrics``) and traded by the policy after costs
(``ml.oos_books``), beside buy-and-hold; then selection and the promotion gate (``ml.gate``),
which read only these out-of-sample numbers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ml.config import TrainConfig
from ml.dataset import Bars
from ml.features import Samples
from ml.gate import OutOfSample, select_and_gate
from ml.leakage import permutation_importance
from ml.metrics import calibration_curve, classification_metrics
from ml.modeling.train import KERAS_CANDIDATES, Fitted, fit_candidate
from ml.oos_books import book_metrics, fold_backtest, oos_book, symbol_metrics
from ml.portfolio import PortfolioCurve
from ml.splits import Split, data_coverage, walk_forward_splits
from ml.trading_policy import TradingPolicy

Log = Callable[[str], None]


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
            fold.update(fold_backtest(res.curve, split))
        res.overall = {
            **classification_metrics(y, res.prob),
            **book_metrics(res.curve),
            "calibration": calibration_curve(y, res.prob),
        }
        res.per_symbol = symbol_metrics(samples, bars, rows, res.prob, policy)
        results[name] = res

    bh = CandidateResult("buy_and_hold")
    bh.curve = oos_book(samples, bars, rows, None, policy)
    bh.folds = [{"fold": s.fold, **fold_backtest(bh.curve, s)} for s in splits]
    bh.overall = book_metrics(bh.curve)
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
