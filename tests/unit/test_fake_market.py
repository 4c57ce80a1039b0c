"""The local fake market speaks each provider's documented format: every Alpaca body it serves parses
with alpaca-py's own models (so a fake that drifts from Alpaca's schema fails here), through the SDK
client (pagination, keys, errors) and directly; the Stooq CSV goes through the shared rules. All on
127.0.0.1: no test uses the network."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import requests

from marketdata_service.logic.providers import ProviderError
from marketdata_service.logic.providers.alpaca import AlpacaProvider
from marketdata_service.logic.providers.stooq import StooqProvider
from tradeloop_local.fake_market import FAKE_KEY_ID, FAKE_SECRET_KEY, FakeMarket, load_recording
from tradeloop_local.seed import SEED_CUTOFF


@pytest.fixture
def market() -> Iterator[FakeMarket]:
    fake = FakeMarket().start()
    try:
        yield fake
    finally:
        fake.stop()


def _parse_every_body(market: FakeMarket) -> int:
    from alpaca.data.models import BarSet

    for body in market.sent:
        assert set(body) == {"bars", "next_page_token"}
        barset = BarSet(body["bars"])  # alpaca-py's model: every field typed as Alpaca documents it
        for symbol, bars in barset.data.items():
            assert all(b.symbol == symbol and b.timestamp.tzinfo is not None for b in bars)
    return len(market.sent)


def test_every_alpaca_response_parses_with_alpaca_pys_models(market: FakeMarket) -> None:
    from alpaca.data.historical import StockHistoricalDataClient
    from alpaca.data.requests import StockBarsRequest
    from alpaca.data.timeframe import TimeFrame

    client = StockHistoricalDataClient(FAKE_KEY_ID, FAKE_SECRET_KEY, url_override=market.url)
    # Given the SDK asking as the provider asks: several symbols, a range, and a page size that
    # forces pagination (next_page_token)
    request = StockBarsRequest(
        symbol_or_symbols=["AAPL", "GOOG", "IBM", "MSFT"],
        timeframe=TimeFrame.Day,
        start=datetime(2013, 2, 19, 5, tzinfo=UTC),
        end=datetime(2013, 3, 2, 5, tzinfo=UTC),
        limit=36,
    )
    barset = client.get_stock_bars(request)
    for size in (7, 1000):
        market_request = requests.get(
            f"{market.url}/v2/stocks/bars",
            params={"symbols": "IBM,MSFT", "timeframe": "1Day", "limit": size},
            headers={"APCA-API-KEY-ID": FAKE_KEY_ID, "APCA-API-SECRET-KEY": FAKE_SECRET_KEY},
            timeout=10,
        )
        assert market_request.status_code == 200
    # And a provider call, and an empty answer (a symbol without data)
    AlpacaProvider(FAKE_KEY_ID, FAKE_SECRET_KEY, market.url, "sip", "raw").daily_bars(
        ["NOPE"], date(2013, 2, 19), date(2013, 2, 19)
    )
    # Then every body the fake sent parses with alpaca-py's models
    assert _parse_every_body(market) >= 4
    # And the SDK saw every recorded session once, dated on the exchange's calendar
    assert {s: len(b) for s, b in barset.data.items()} == dict.fromkeys(("AAPL", "GOOG", "IBM", "MSFT"), 9)
    assert barset.data["IBM"][0].timestamp == datetime(2013, 2, 19, 5, tzinfo=UTC)  # midnight New York


def test_the_alpaca_provider_dates_bars_by_exchange_session_and_refuses_without_keys(market: FakeMarket) -> None:
    provider = AlpacaProvider(FAKE_KEY_ID, FAKE_SECRET_KEY, market.url, "sip", "raw")
    rows = provider.daily_bars(["IBM"], date(2013, 2, 19), date(2013, 2, 21))["IBM"]
    recorded = [r for r in load_recording()["IBM"] if r[0] <= date(2013, 2, 21)]
    assert [(r.day, r.values[3]) for r in rows] == [(d, c) for d, _, _, _, c, _ in recorded]
    with pytest.raises(ProviderError, match="forbidden"):
        AlpacaProvider("PKWRONG", "wrong", market.url, "sip", "raw").daily_bars(
            ["IBM"], date(2013, 2, 19), date(2013, 2, 19)
        )
    _parse_every_body(market)


def test_the_recording_is_the_sample_after_the_seeding_cutoff() -> None:
    tape = load_recording()
    assert set(tape) == {"AAPL", "GOOG", "IBM", "MSFT"}
    days = {r[0] for rows in tape.values() for r in rows}
    assert min(days) == date(2013, 2, 19) > SEED_CUTOFF and max(days) == date(2013, 3, 1)


def test_stooq_format_goes_through_the_shared_rules_and_a_late_symbol_has_no_data(market: FakeMarket) -> None:
    provider = StooqProvider(market.url)
    rows = provider.daily_bars(["MSFT"], date(2013, 2, 19), date(2013, 2, 20))["MSFT"]
    assert [r.day for r in rows] == [date(2013, 2, 19), date(2013, 2, 20)]
    market.withhold("MSFT", date(2013, 2, 18))
    assert provider.daily_bars(["MSFT"], date(2013, 2, 19), date(2013, 2, 20)) == {"MSFT": []}
