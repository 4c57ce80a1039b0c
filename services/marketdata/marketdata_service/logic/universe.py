"""What the market-data step ingests: the traded universe (tradeloop_common.universe: the live
model's manifest, narrowed by TRADELOOP_SIGNAL_SYMBOLS) plus the symbols held, so every position
stays marked to market."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from marketdata_service.logic.dependencies import Dependencies
from tradeloop_common.dal.registry import LivePointer
from tradeloop_common.errors import StoreError
from tradeloop_common.universe import traded_universe


@dataclass(frozen=True)
class IngestUniverse:
    symbols: list[str]
    traded: list[str]
    held: list[str]
    source: str
    model_version: str | None


def live_manifest(deps: Dependencies) -> tuple[str | None, dict[str, Any] | None]:
    pointer = deps.models.live()
    if not isinstance(pointer, LivePointer) or not pointer.version:
        return None, None
    try:
        return pointer.version, dict(json.loads(deps.models.read(pointer.version, "manifest.json")))
    except (StoreError, ValueError):
        return pointer.version, None


def ingest_universe(deps: Dependencies) -> IngestUniverse:
    version, manifest = live_manifest(deps)
    universe = traded_universe(manifest, deps.settings.symbols)
    held = sorted(p.symbol for p in deps.trading.get_positions(deps.settings.account_id) if p.quantity != 0)
    return IngestUniverse(sorted(set(universe.symbols) | set(held)), universe.symbols, held, universe.source, version)
