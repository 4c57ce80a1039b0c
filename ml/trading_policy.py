"""The trading policy of one model: universe, weight per symbol, thresholds and costs, in one object.

It drives the walk-forward backtest (``ml.portfolio``), is written to the manifest as ``policy``,
and the signal service applies that manifest entry with the same functions
(``tradeloop_common.policy``), so the weights evaluated are the weights traded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ml.config import Costs, Policy
from tradeloop_common.policy import policy_target_weights, symbol_weights

RULE = (
    "target_weight = weights[symbol] if p > enter; 0 if p < exit; else unchanged. "
    "weights[symbol] = min(weight_when_long, max_gross_exposure / len(universe)); a symbol outside "
    "the universe is not traded"
)


@dataclass(frozen=True)
class TradingPolicy:
    universe: tuple[str, ...]
    weights: dict[str, float]
    enter: float
    exit: float
    weight_when_long: float
    max_gross_exposure: float
    costs: Costs

    @classmethod
    def for_universe(cls, params: Policy, costs: Costs, universe: Sequence[str]) -> TradingPolicy:
        symbols = tuple(sorted(set(universe)))
        return cls(
            universe=symbols,
            weights=symbol_weights(symbols, params.weight_when_long, params.max_gross_exposure),
            enter=params.enter,
            exit=params.exit,
            weight_when_long=params.weight_when_long,
            max_gross_exposure=params.max_gross_exposure,
            costs=costs,
        )

    @classmethod
    def from_manifest(cls, policy: dict[str, Any]) -> TradingPolicy:
        return cls(
            universe=tuple(policy["universe"]),
            weights={k: float(v) for k, v in policy["weights"].items()},
            enter=float(policy["enter"]),
            exit=float(policy["exit"]),
            weight_when_long=float(policy["weight_when_long"]),
            max_gross_exposure=float(policy["max_gross_exposure"]),
            costs=Costs(**policy["costs"]),
        )

    def to_manifest(self) -> dict[str, Any]:
        """The manifest's ``policy``: what the signal service reads."""
        return {
            "universe": list(self.universe),
            "weights": dict(self.weights),
            "enter": self.enter,
            "exit": self.exit,
            "weight_when_long": self.weight_when_long,
            "max_gross_exposure": self.max_gross_exposure,
            "costs": asdict(self.costs),
            "rule": RULE,
        }

    def targets(self, probability: np.ndarray, symbol: str) -> np.ndarray:
        """Target weight decided at each bar from ``symbol``'s probabilities (NaN decides nothing),
        through the manifest form, exactly as the signal service reads it."""
        return policy_target_weights(probability, self.to_manifest(), symbol)
