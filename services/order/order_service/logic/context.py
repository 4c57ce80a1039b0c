"""What the order service's logic runs against: the stores, the market data, the broker, the
settings, the clock and the exchange calendar (wired once per process by dependencies.get_dependencies, and by
tests with fakes or a fixed clock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from order_service.brokers.base import Broker
from order_service.brokers.paper import PaperBroker
from tradeloop_common.calendar import ExchangeCalendar, get_calendar
from tradeloop_common.clock import Clock, SystemClock
from tradeloop_common.dal.bars import BarsRepository
from tradeloop_common.dal.controls import ControlsStore
from tradeloop_common.dal.snapshots import SnapshotStore
from tradeloop_common.dal.trading import TradingStore
from tradeloop_common.execution import DEFAULT_BAND, DEFAULT_CASH_BUFFER, ExecutionSettings


@dataclass(frozen=True)
class Dependencies:
    store: TradingStore
    bars: BarsRepository
    controls: ControlsStore
    snapshots: SnapshotStore
    account_id: str
    commission_bps: Decimal
    slippage_bps: Decimal
    clock: Clock = SystemClock()
    rebalance_band: Decimal = DEFAULT_BAND
    cash_buffer: Decimal = DEFAULT_CASH_BUFFER
    pending_max_sessions: int = 5
    calendar: ExchangeCalendar = field(default_factory=get_calendar)
    broker: Broker = field(default_factory=PaperBroker)

    @property
    def execution(self) -> ExecutionSettings:
        return ExecutionSettings(self.commission_bps, self.slippage_bps, self.rebalance_band, self.cash_buffer)
