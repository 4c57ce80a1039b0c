"""Domain models shared by the services. Pure data: no I/O in here."""

from tradeloop_common.models.controls import Controls, ControlsChange, LossAction, RiskLimits, TradingState
from tradeloop_common.models.order import (
    Fill,
    Order,
    OrderStatus,
    OrderType,
    RebalanceIntent,
    Side,
    TimeInForce,
)
from tradeloop_common.models.portfolio import Portfolio, Position, PositionView, Snapshot
from tradeloop_common.models.reconciliation import Difference, Reconciliation
from tradeloop_common.models.signal import Signal, SignalAction
from tradeloop_common.models.types import JsonDecimal

__all__ = [
    "Controls",
    "ControlsChange",
    "Difference",
    "Fill",
    "JsonDecimal",
    "LossAction",
    "Order",
    "OrderStatus",
    "OrderType",
    "Portfolio",
    "RebalanceIntent",
    "Reconciliation",
    "Position",
    "PositionView",
    "RiskLimits",
    "Side",
    "Signal",
    "SignalAction",
    "Snapshot",
    "TimeInForce",
    "TradingState",
]
