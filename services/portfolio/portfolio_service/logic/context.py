"""What the portfolio service's logic runs against: the trading and snapshot stores, the market
data, the live model's version, the settings it reads and the clock (wired once per process by
dependencies.get_dependencies, and by tests with fakes or a fixed clock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tradeloop_common.clock import Clock, SystemClock
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.dal.snapshots import SnapshotStore
from tradeloop_common.dal.trading import TradingStore


@dataclass(frozen=True)
class Dependencies:
    store: TradingStore
    snapshots: SnapshotStore
    bars: BarsRepository
    account_id: str
    live_model_version: Callable[[], str | None]  # the LATEST pointer's version (None: no model live)
    code_version: str
    clock: Clock = field(default_factory=SystemClock)
