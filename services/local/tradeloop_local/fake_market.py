"""A local stand-in for the market-data providers, serving recorded responses in each provider's
documented format, so the embedded mode and the tests never touch the network:

- Alpaca Market Data: ``GET /v2/stocks/bars`` (``symbols``, ``timeframe=1Day``, ``start``, ``end``,
  ``limit``, ``page_token``; keys in ``APCA-API-KEY-ID``/``APCA-API-SECRET-KEY``) answering
  ``{"bars": {SYMBOL: [{"t","o","h","l","c","v","n","vw"}]}, "next_page_token"}``; a daily bar's
  ``t`` is midnight New York time. Every body it sends is kept in ``sent`` (the tests parse each
  with alpaca-py's own models, so a fake that drifts from Alpaca's schema fails).
- Stooq: ``GET /q/d/l/?s=<symbol>.us&i=d&d1=YYYYMMDD&d2=YYYYMMDD`` answering
  ``Date,Open,High,Low,Close,Volume`` CSV, or ``No data``.

The recording (``recordings/sessions.json``, written by scripts/record_fake_market.py) holds real
days of the offline sample (bokeh_sampledata, AAPL/GOOG/IBM/MSFT) after the stack's seeding cutoff
(tradeloop_local.seed.SEED_CUTOFF): the stack's series stop at the cutoff and this "provider"
serves the sessions that follow, as a live provider would. Tests may give their own tape, and
``withhold(symbol, after)`` makes the provider late for a symbol."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request would drown the logs
RECORDING = Path(__file__).resolve().parent / "recordings" / "sessions.json"
NEW_YORK = ZoneInfo("America/New_York")
FAKE_KEY_ID = "PKFAKEEMBEDDEDTRADELOOP"
FAKE_SECRET_KEY = "fake-secret-for-the-local-market"

# (date, open, high, low, close, volume) per symbol
Tape = dict[str, list[tuple[date, float, float, float, float, int]]]


def load_recording(path: Path = RECORDING) -> Tape:
    data = json.loads(path.read_text())
    return {
        s: [(date.fromisoformat(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4]), int(r[5])) for r in rows]
        for s, rows in data["bars"].items()
    }


def _day(text: str | None, default: date) -> date:
    if not text:
        return default
    if len(text) == 8 and text.isdigit():
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at.astimezone(NEW_YORK).date() if at.tzinfo else at.date()


def alpaca_bar(row: tuple[date, float, float, float, float, int]) -> dict[str, Any]:
    day, o, h, lo, c, v = row
    midnight = datetime.combine(day, time(0), tzinfo=NEW_YORK).astimezone(UTC)
    # The sample has no trade count or VWAP: n is 0 and vw the typical price (documented).
    return {
        "t": midnight.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "o": o,
        "h": h,
        "l": lo,
        "c": c,
        "v": v,
        "n": 0,
        "vw": round((h + lo + c) / 3, 4),
    }


@dataclass
class FakeMarket:
    tape: Tape = field(default_factory=load_recording)
    withheld: dict[str, date] = field(default_factory=dict)  # symbol -> nothing after this date
    sent: list[dict[str, Any]] = field(default_factory=list)  # every Alpaca body served
    requests: list[str] = field(default_factory=list)
    _server: BaseWSGIServer | None = None

    def withhold(self, symbol: str, after: date | None) -> None:
        """Make the provider late for ``symbol``: nothing dated after ``after`` (None: on time again)."""
        if after is None:
            self.withheld.pop(symbol, None)
        else:
            self.withheld[symbol] = after

    def rows(self, symbol: str, start: date, end: date) -> list[tuple[date, float, float, float, float, int]]:
        last = self.withheld.get(symbol)
        return [r for r in self.tape.get(symbol, []) if start <= r[0] <= end and (last is None or r[0] <= last)]

    # ---- the two providers ----------------------------------------------------------------------

    def _alpaca_bars(self, request: Request) -> Response:
        keys = (request.headers.get("APCA-API-KEY-ID"), request.headers.get("APCA-API-SECRET-KEY"))
        if keys != (FAKE_KEY_ID, FAKE_SECRET_KEY):  # as Alpaca: wrong or missing keys are refused
            return Response(json.dumps({"message": "forbidden."}), 403, content_type="application/json")
        args = request.args
        if args.get("timeframe") != "1Day":
            body = {"message": f"invalid timeframe {args.get('timeframe')!r}: this fake serves 1Day"}
            return Response(json.dumps(body), 422, content_type="application/json")
        symbols = [s for s in (args.get("symbols") or "").split(",") if s]
        start, end = _day(args.get("start"), date.min), _day(args.get("end"), date.max)
        limit = int(args.get("limit") or 1000)
        offset = int(args.get("page_token") or 0)
        flat = [(s, r) for s in sorted(symbols) for r in self.rows(s, start, end)]
        page = flat[offset : offset + limit]
        bars: dict[str, list[dict[str, Any]]] = {}
        for symbol, row in page:
            bars.setdefault(symbol, []).append(alpaca_bar(row))
        page_body = {"bars": bars, "next_page_token": str(offset + limit) if offset + limit < len(flat) else None}
        self.sent.append(page_body)
        return Response(json.dumps(page_body), 200, content_type="application/json")

    def _stooq(self, request: Request) -> Response:
        ticker = (request.args.get("s") or "").upper()
        symbol = ticker.removesuffix(".US")
        rows = self.rows(symbol, _day(request.args.get("d1"), date.min), _day(request.args.get("d2"), date.max))
        if not rows:
            return Response("No data", 200, content_type="text/plain")
        lines = ["Date,Open,High,Low,Close,Volume", *(f"{d},{o},{h},{lo},{c},{v}" for d, o, h, lo, c, v in rows)]
        return Response("\n".join(lines) + "\n", 200, content_type="text/csv")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append(request.full_path)
        if request.path == "/v2/stocks/bars":
            response = self._alpaca_bars(request)
        elif request.path.rstrip("/") == "/q/d/l":
            response = self._stooq(request)
        else:
            response = Response(json.dumps({"message": "not found"}), 404, content_type="application/json")
        return response(environ, start_response)

    # ---- serving ------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeMarket:
        self._server = make_server(host, port, self, threaded=True)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-market", daemon=True
        ).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self._server.host}:{self._server.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
