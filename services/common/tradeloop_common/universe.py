"""The universe has one home: the symbols traded are those the live model was evaluated on (its
manifest's ``policy``: ``weights``, else ``universe``; manifests from before the policy had one:
``training_data.symbols``), optionally narrowed by ``TRADELOOP_SIGNAL_SYMBOLS``. A CSV dropped into
the data bucket for research is never traded because it exists. The signal service decides on
this universe; the market-data service ingests it, plus the symbols held (so positions stay
marked to market)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def model_universe(manifest: Mapping[str, Any] | None) -> list[str]:
    """The symbols a model was evaluated on (empty without a manifest)."""
    if not manifest:
        return []
    policy = manifest.get("policy") or {}
    symbols = policy.get("weights") or policy.get("universe") or (manifest.get("training_data") or {}).get("symbols")
    return sorted({str(s) for s in (symbols or [])})


@dataclass(frozen=True)
class Universe:
    symbols: list[str]  # what is traded
    outside: list[str]  # named by the settings but never evaluated by the model (not traded)
    source: str  # how it was found, for logs and reports


def traded_universe(manifest: Mapping[str, Any] | None, narrowed_to: Iterable[str] = ()) -> Universe:
    model = model_universe(manifest)
    wanted = sorted(set(narrowed_to))
    if not model:
        # No live model (yet): the settings name what to follow, nothing else does.
        return Universe(wanted, [], "TRADELOOP_SIGNAL_SYMBOLS (no live model)" if wanted else "none")
    if not wanted:
        return Universe(model, [], "the live model's manifest")
    return Universe(
        [s for s in wanted if s in model],
        [s for s in wanted if s not in model],
        "the live model's manifest, narrowed by TRADELOOP_SIGNAL_SYMBOLS",
    )
