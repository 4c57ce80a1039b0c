"""Probability -> target weight: the one trading policy, used by the walk-forward evaluation and the
backtests (a whole series at once) and by the signal Lambda (one decision at a time). The model's
manifest carries the policy (``policy``), so what was evaluated is what trades.

- Universe and weights: each symbol of the universe gets ``min(weight_when_long, max_gross_exposure / N)``
  of equity when long (N = symbols in the universe), so the book never asks the order service for
  more than its gross exposure limit. A symbol outside the universe was never evaluated: no weight.
- Thresholds: long above ``enter``, flat below ``exit``, otherwise keep the current target
  (hysteresis); a series starts flat.

Manifests written before the universe existed carry ``enter``, ``exit`` and ``weight_when_long``
only: every symbol then gets ``weight_when_long``, as before."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

DEFAULT_MAX_GROSS_EXPOSURE = 1.0  # the order service's default max_gross_exposure


def symbol_weights(
    universe: Sequence[str], weight_when_long: float, max_gross_exposure: float = DEFAULT_MAX_GROSS_EXPOSURE
) -> dict[str, float]:
    """Weight of each symbol of ``universe`` when long: equal, capped per symbol and in total."""
    symbols = sorted(set(universe))
    if not symbols:
        return {}
    each = min(float(weight_when_long), float(max_gross_exposure) / len(symbols))
    return dict.fromkeys(symbols, each)


def weight_for(policy: Mapping[str, Any], symbol: str) -> float | None:
    """The weight ``symbol`` trades at when long; None when the policy's universe does not hold it."""
    weights = policy.get("weights")
    if weights is None:  # a manifest from before the universe: one weight for every symbol
        return float(policy["weight_when_long"])
    w = weights.get(symbol)
    return None if w is None else float(w)


def target_weight(
    probability: float, current_weight: float, policy: Mapping[str, Any], symbol: str | None = None
) -> float:
    """One decision: ``symbol``'s weight (or ``weight_when_long`` without a symbol) above ``enter``,
    0 below ``exit``, else ``current_weight``."""
    if probability > float(policy["enter"]):
        long = weight_for(policy, symbol) if symbol is not None else float(policy["weight_when_long"])
        if long is None:
            raise KeyError(f"{symbol} is not in the model's universe {sorted(policy.get('weights') or {})}")
        return long
    if probability < float(policy["exit"]):
        return 0.0
    return current_weight


def target_weights(probability: np.ndarray, enter: float, exit_: float, weight_when_long: float = 1.0) -> np.ndarray:
    """``target_weight`` applied along a series (vectorised): mark decisive bars, forward-fill the
    last decision; NaN probabilities (warm-up, no bar) decide nothing."""
    p = np.asarray(probability, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        decision = np.where(p > enter, 1.0, np.where(p < exit_, 0.0, np.nan))
    idx = np.where(np.isnan(decision), 0, np.arange(len(p)))
    np.maximum.accumulate(idx, out=idx)
    state = decision[idx] if len(p) else decision
    return np.where(np.isnan(state), 0.0, state) * float(weight_when_long)


def policy_target_weights(probability: np.ndarray, policy: Mapping[str, Any], symbol: str) -> np.ndarray:
    """The series form of ``target_weight(..., policy, symbol)``: what the evaluation and the
    backtests apply to one symbol's probabilities."""
    long = weight_for(policy, symbol)
    if long is None:
        raise KeyError(f"{symbol} is not in the model's universe {sorted(policy.get('weights') or {})}")
    return target_weights(probability, float(policy["enter"]), float(policy["exit"]), long)


def intent_order(previous: Decimal | float, target: Decimal | float, symbol: str) -> tuple[bool, str]:
    """The order in which one run's order intents are sent and applied: reductions first (they free
    cash for the increases), then by symbol. The signal service sends in this order and the
    backtest's live-execution mode applies in it."""
    return (target > previous, symbol)
