"""alpaca-py's trading API, importable from the order function's package, which leaves pandas out.

alpaca-py declares pandas (with NumPy, about 110 MB unpacked) for its market-data models, and its
``alpaca.trading`` package imports it at module level for one validator, of corporate-announcement
requests, which this service never builds. scripts/package_lambdas.py leaves both out of the order
layer to keep the function within its 50 MB budget, and this module puts a stand-in in their
place, only where pandas is not installed: any use of it raises, saying why. Where pandas is
installed (the development venv), it is the real one.

tests/iac/test_packaging.py runs the adapter from the built zips against the local fake; a unit
test does the same with pandas hidden (tests/unit/test_alpaca_adapter.py)."""

from __future__ import annotations

import sys
import types
import warnings


class _PandasStandIn(types.ModuleType):
    def __getattr__(self, name: str) -> object:
        raise AttributeError(
            f"pandas.{name}: pandas is not in the order function's package (scripts/package_lambdas.py leaves it "
            "out); alpaca-py needs it for market data and corporate announcements only"
        )


def _stand_in_for_pandas() -> None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        sys.modules["pandas"] = _PandasStandIn("pandas")


_stand_in_for_pandas()
with warnings.catch_warnings():
    # alpaca.trading imports its websocket stream (websockets.legacy, deprecated); we never open it.
    warnings.simplefilter("ignore", DeprecationWarning)
    from alpaca.common.exceptions import APIError  # noqa: E402
    from alpaca.trading.client import TradingClient  # noqa: E402
    from alpaca.trading.enums import OrderSide, OrderStatus, QueryOrderStatus, TimeInForce  # noqa: E402
    from alpaca.trading.models import Order, Position, TradeAccount  # noqa: E402
    from alpaca.trading.requests import GetOrdersRequest, MarketOrderRequest  # noqa: E402

__all__ = [
    "APIError",
    "GetOrdersRequest",
    "MarketOrderRequest",
    "Order",
    "OrderSide",
    "OrderStatus",
    "Position",
    "QueryOrderStatus",
    "TimeInForce",
    "TradeAccount",
    "TradingClient",
]
