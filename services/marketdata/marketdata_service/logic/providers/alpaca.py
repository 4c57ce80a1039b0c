"""Alpaca Market Data (``GET /v2/stocks/bars``, daily timeframe) through the official SDK alpaca-py:
its client sends the request (pagination, retries) and its models (``BarSet``/``Bar``) parse the
answer, so a response that drifts from Alpaca's schema fails here as it would in production.

Keys: ``APCA_API_KEY_ID``/``APCA_API_SECRET_KEY`` from the environment (a laptop), else the secret
``TRADELOOP_MARKETDATA_SECRET_ARN`` (JSON ``{"key_id", "secret_key"}``; AWS). A daily bar's
timestamp is midnight New York time; its exchange date names the session."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from marketdata_service.logic.providers import ProviderError
from tradeloop_common.calendar import get_calendar
from tradeloop_common.errors import ConfigurationError
from tradeloop_common.ohlcv import RawRow
from tradeloop_common.settings import MarketDataEnv


class AlpacaProvider:
    name = "alpaca"

    def __init__(self, key_id: str, secret_key: str, url: str | None, feed: str, adjustment: str) -> None:
        self._key_id, self._secret_key, self._url = key_id, secret_key, url
        self._feed, self._adjustment = feed, adjustment

    @classmethod
    def from_settings(cls, settings: MarketDataEnv, secret: dict[str, str] | None) -> AlpacaProvider:
        key_id, secret_key = settings.alpaca_key_id, settings.alpaca_secret_key
        if not (key_id and secret_key) and secret:
            key_id, secret_key = str(secret.get("key_id", "")), str(secret.get("secret_key", ""))
        if not (key_id and secret_key):
            raise ConfigurationError(
                'no Alpaca keys: put {"key_id": ..., "secret_key": ...} in the secret named by '
                "TRADELOOP_MARKETDATA_SECRET_ARN (README: Deploy to AWS), or set APCA_API_KEY_ID and "
                "APCA_API_SECRET_KEY; or choose TRADELOOP_MARKETDATA_PROVIDER=stooq"
            )
        return cls(
            key_id,
            secret_key,
            settings.marketdata_url or None,
            settings.marketdata_feed,
            settings.marketdata_adjustment,
        )

    def _client(self) -> Any:
        from alpaca.data.historical import StockHistoricalDataClient

        return StockHistoricalDataClient(self._key_id, self._secret_key, url_override=self._url)

    def daily_bars(self, symbols: list[str], start: date, end: date) -> dict[str, list[RawRow]]:
        from alpaca.common.exceptions import APIError
        from alpaca.data.enums import Adjustment, DataFeed
        from alpaca.data.requests import StockBarsRequest
        from alpaca.data.timeframe import TimeFrame

        cal = get_calendar()
        request = StockBarsRequest(
            symbol_or_symbols=symbols,
            timeframe=TimeFrame.Day,
            start=datetime.combine(start, time(0), tzinfo=cal.tz),
            end=datetime.combine(end + timedelta(days=1), time(0), tzinfo=cal.tz),
            adjustment=Adjustment(self._adjustment),
            feed=DataFeed(self._feed),
        )
        try:
            barset = self._client().get_stock_bars(request)
        except (APIError, OSError, ValueError) as exc:  # requests' errors are OSErrors
            raise ProviderError(f"alpaca: {type(exc).__name__}: {exc}") from exc
        out: dict[str, list[RawRow]] = {}
        for symbol, bars in barset.data.items():
            out[symbol] = [
                RawRow(i + 1, cal.local_date(b.timestamp), [b.open, b.high, b.low, b.close, b.volume])
                for i, b in enumerate(bars)
                if start <= cal.local_date(b.timestamp) <= end
            ]
        return out
