"""Where daily bars come from, behind one small interface: ``daily_bars(symbols, start, end)``
returns each symbol's rows as the provider sent them (validated afterwards by the shared rules,
``tradeloop_common.ohlcv``). ``alpaca`` (Alpaca Market Data through alpaca-py), ``stooq`` (a
public end-of-day CSV that needs no account) and ``csv`` (a file or a folder of ``<SYMBOL>.csv``)."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from tradeloop_common.ohlcv import RawRow
from tradeloop_common.settings import MarketDataEnv


class ProviderError(RuntimeError):
    """The provider could not answer (unreachable, refused the keys, over its quota)."""


class Provider(Protocol):
    name: str

    def daily_bars(self, symbols: list[str], start: date, end: date) -> dict[str, list[RawRow]]:
        """Rows dated ``start``..``end`` (exchange dates) per symbol; a symbol without data is absent
        or empty. Raises ProviderError when the request fails as a whole."""
        ...


def get_provider(settings: MarketDataEnv, secret: dict[str, str] | None = None) -> Provider:
    if settings.marketdata_provider == "alpaca":
        from marketdata_service.logic.providers.alpaca import AlpacaProvider

        return AlpacaProvider.from_settings(settings, secret)
    if settings.marketdata_provider == "stooq":
        from marketdata_service.logic.providers.stooq import StooqProvider

        return StooqProvider(settings.marketdata_url or None, settings.stooq_apikey or None)
    from marketdata_service.logic.providers.csv_files import CsvProvider

    return CsvProvider(settings.marketdata_path)
