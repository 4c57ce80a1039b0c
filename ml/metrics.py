"""Classification metrics of out-of-sample probabilities: AUC, log loss, Brier, calibration."""

from __future__ import annotations

import numpy as np


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
