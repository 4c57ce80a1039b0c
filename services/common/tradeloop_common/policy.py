"""Probability -> target weight: the one trading policy, used by the signal Lambda (one decision at a
time) and by the backtests (a whole series at once). Thresholds come from the model's manifest.

Long ``weight_when_long`` above ``enter``, flat below ``exit``, otherwise keep the current target
(hysteresis); a series starts flat."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np


def target_weight(probability: float, current_weight: float, policy: Mapping[str, Any]) -> float:
    if probability > float(policy["enter"]):
        return float(policy["weight_when_long"])
    if probability < float(policy["exit"]):
        return 0.0
    return current_weight


def target_weights(probability: np.ndarray, enter: float, exit_: float, weight_when_long: float = 1.0) -> np.ndarray:
    """``target_weight`` applied along a series (vectorised): mark decisive bars, forward-fill the
    last decision; NaN probabilities (warm-up) decide nothing."""
    p = np.asarray(probability, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        decision = np.where(p > enter, 1.0, np.where(p < exit_, 0.0, np.nan))
    idx = np.where(np.isnan(decision), 0, np.arange(len(p)))
    np.maximum.accumulate(idx, out=idx)
    state = decision[idx] if len(p) else decision
    return np.where(np.isnan(state), 0.0, state) * float(weight_when_long)


def intent_order(previous: Decimal, target: Decimal, symbol: str) -> tuple[bool, str]:
    """The order in which one run's order intents are sent and applied: reductions first (they free
    cash for the increases), then by symbol. The signal service sends in this order and the
    backtest's live-execution mode applies in it."""
    return (target > previous, symbol)
