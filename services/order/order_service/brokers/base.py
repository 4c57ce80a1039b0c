"""What the order service needs from a broker, in the service's own types: no SDK type crosses
this line (each adapter converts its SDK's models here)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tradeloop_common.errors import StoreError
from tradeloop_common.models import Order, Side


class BrokerOrderStatus(StrEnum):
    OPEN = "open"  # at the broker, nothing filled yet (new, accepted, held, ...)
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"

    @property
    def working(self) -> bool:
        """Still at work: more may fill."""
        return self in (BrokerOrderStatus.OPEN, BrokerOrderStatus.PARTIALLY_FILLED)


@dataclass(frozen=True)
class BrokerOrder:
    """An order as the broker sees it. ``client_order_id`` is our ``order_id``."""

    client_order_id: str
    broker_order_id: str | None  # None: refused before the broker kept it
    status: BrokerOrderStatus
    symbol: str
    side: Side
    quantity: int
    filled_quantity: int = 0
    filled_avg_price: Decimal | None = None
    filled_at: datetime | None = None
    reason: str | None = None  # why it ended without a full fill, in the broker's words


@dataclass(frozen=True)
class BrokerAccount:
    """What the broker holds for us: cash and shares per symbol (negative = short)."""

    cash: Decimal
    positions: dict[str, int] = field(default_factory=dict)


class BrokerUnavailableError(StoreError):
    """The broker could not be reached or answered with a server error: a retry may fix it (the
    SQS record is delivered again; the session-open step is re-run)."""

    code = "broker_unavailable"


class Broker(ABC):
    name: str
    # False: nothing is submitted; the session's open fills the orders here, from the bars
    # (tradeloop_common.execution). True: the broker executes them and keeps the account.
    executes_orders: bool

    @abstractmethod
    def submit(self, order: Order) -> BrokerOrder | None:
        """Send a PENDING order as market-on-open, keyed by our ``order_id``. A second submission
        of the same order answers the one the broker already holds. None: nothing to submit."""

    @abstractmethod
    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        """The broker's order for our ``order_id``; None when it has none."""

    @abstractmethod
    def open_orders(self) -> list[BrokerOrder]:
        """Orders still at work (open or partially filled)."""

    @abstractmethod
    def account(self) -> BrokerAccount | None:
        """The broker's cash and positions; None when the broker keeps no account of its own (paper:
        its account is the ledger of its fills)."""
