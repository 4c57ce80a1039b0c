"""The paper broker: ours. Nothing is submitted and it keeps no account of its own; the session's
open fills the orders from the bars (order_service.logic.fills, by tradeloop_common.execution), and
the ledger of those fills is what the book is reconciled against."""

from __future__ import annotations

from order_service.brokers.base import Broker, BrokerAccount, BrokerOrder
from tradeloop_common.models import Order


class PaperBroker(Broker):
    name = "paper"
    executes_orders = False

    def submit(self, order: Order) -> BrokerOrder | None:
        return None

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        return None

    def open_orders(self) -> list[BrokerOrder]:
        return []

    def account(self) -> BrokerAccount | None:
        return None
