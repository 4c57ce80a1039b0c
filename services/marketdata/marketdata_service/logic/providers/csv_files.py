"""A CSV file or a folder of ``<SYMBOL>.csv`` (Yahoo, Stooq or tradeloop headers), as
``python -m ml ingest --source csv`` reads them: for the embedded mode and trials (in AWS the
function has no such folder: use alpaca or stooq)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from marketdata_service.logic.providers import ProviderError
from tradeloop_common.ohlcv import RawRow, read_rows


class CsvProvider:
    name = "csv"

    def __init__(self, path: str) -> None:
        self._path = Path(path) if path else None

    def daily_bars(self, symbols: list[str], start: date, end: date) -> dict[str, list[RawRow]]:
        if self._path is None or not self._path.exists():
            raise ProviderError(f"csv: TRADELOOP_MARKETDATA_PATH ({self._path}) is no file or folder")
        files = (
            {s: self._path / f"{s}.csv" for s in symbols}
            if self._path.is_dir()
            else {self._path.stem.upper(): self._path}
        )
        out: dict[str, list[RawRow]] = {}
        for symbol in symbols:
            file = files.get(symbol)
            if file is None or not file.exists():
                continue
            out[symbol] = [r for r in read_rows(file.read_text(), str(file)) if start <= r.day <= end]
        return out
