"""Brokers behind one interface (base.Broker), chosen by ``TRADELOOP_BROKER``: ``paper`` (ours, the
default) and ``alpaca`` (Alpaca's paper-trading endpoint through alpaca-py)."""

from __future__ import annotations

from order_service.brokers.base import Broker
from order_service.brokers.paper import PaperBroker
from tradeloop_common.settings import Settings


def get_broker(settings: Settings) -> Broker:
    if settings.broker == "alpaca":
        # Imported here: only a function that trades with Alpaca loads alpaca-py.
        from order_service.brokers.alpaca import AlpacaBroker

        return AlpacaBroker.from_settings(settings)
    return PaperBroker()
