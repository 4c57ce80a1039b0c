"""Stooq's public end-of-day CSV (``GET /q/d/l/?s=<symbol>.us&i=d&d1=YYYYMMDD&d2=YYYYMMDD``): no
account; Stooq may ask for an ``apikey`` (from a form on its site, TRADELOOP_STOOQ_APIKEY) and
caps the requests a day. One request per symbol; the CSV goes through the shared rules."""

from __future__ import annotations

from datetime import date

import requests

from marketdata_service.logic.providers import ProviderError
from tradeloop_common.ohlcv import IngestError, RawRow, read_rows

PUBLIC_URL = "https://stooq.com"


class StooqProvider:
    name = "stooq"

    def __init__(self, url: str | None = None, apikey: str | None = None, timeout: float = 20) -> None:
        self._url = (url or PUBLIC_URL).rstrip("/")
        self._apikey = apikey
        self._timeout = timeout

    def daily_bars(self, symbols: list[str], start: date, end: date) -> dict[str, list[RawRow]]:
        out: dict[str, list[RawRow]] = {}
        for symbol in symbols:
            params = {"s": f"{symbol.lower()}.us", "i": "d", "d1": f"{start:%Y%m%d}", "d2": f"{end:%Y%m%d}"}
            if self._apikey:
                params["apikey"] = self._apikey
            try:
                response = requests.get(f"{self._url}/q/d/l/", params=params, timeout=self._timeout)
            except requests.RequestException as exc:
                raise ProviderError(f"stooq: {exc}") from exc
            text = response.text.strip()
            if response.status_code != 200 or "exceeded" in text.lower():
                raise ProviderError(f"stooq: HTTP {response.status_code}: {text[:200]}")
            if not text or text.lower().startswith("no data"):
                out[symbol] = []
                continue
            try:
                rows = read_rows(text, f"stooq:{symbol}")
            except IngestError:
                raise
            out[symbol] = [r for r in rows if start <= r.day <= end]
        return out
