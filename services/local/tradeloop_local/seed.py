"""Seed the demo: daily bars of the public-domain sample (bokeh_sampledata.stocks), an account
with cash, and default controls."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tradeloop_common.dal.bars import BarsRepository, format_bars
from tradeloop_common.dal.trading import get_trading_store
from tradeloop_common.settings import get_settings

SAMPLE_SYMBOLS = ("AAPL", "GOOG", "IBM", "MSFT")
DEFAULT_CASH = Decimal("100000")
# The stack's series stop here; the fake market provider (tradeloop_local.fake_market) serves the
# sample's sessions after it, so the daily pipeline has real bars to append (2013-02-18 is a holiday).
SEED_CUTOFF = date(2013, 2, 15)


def sample_bars(symbol: str, until: date | None = SEED_CUTOFF) -> str:
    from bokeh_sampledata import stocks

    data = getattr(stocks, symbol)
    rows = sorted(
        zip(data["date"], data["open"], data["high"], data["low"], data["close"], data["volume"], strict=True)
    )
    return format_bars(
        [(d, o, h, lo, c, int(v)) for d, o, h, lo, c, v in rows if until is None or date.fromisoformat(d) <= until]
    )


def seed_bars(symbols: tuple[str, ...] = SAMPLE_SYMBOLS, only_missing: bool = False) -> list[str]:
    """Write the sample's bars; only_missing: leave a symbol that has bars alone (a kept stack's
    data may have grown since)."""
    bars = BarsRepository(get_settings().data_bucket)
    present = set(bars.symbols()) if only_missing else set()
    seeded = []
    for symbol in symbols:
        if symbol in present:
            continue
        bars.put(symbol, sample_bars(symbol))
        seeded.append(symbol)
    return seeded


def seed_marketdata_secret(secret_arn: str | None) -> bool:
    """Put the fake market's keys in the market-data secret (the stack creates it empty), so the
    embedded mode reads its Alpaca keys from Secrets Manager under the function's role, as in AWS."""
    if not secret_arn:
        return False
    import json

    import boto3

    from tradeloop_local.fake_market import FAKE_KEY_ID, FAKE_SECRET_KEY

    sm = boto3.session.Session().client("secretsmanager")
    value = json.dumps({"key_id": FAKE_KEY_ID, "secret_key": FAKE_SECRET_KEY})
    sm.put_secret_value(SecretId=secret_arn, SecretString=value)
    return True


def seed_account(cash: Decimal = DEFAULT_CASH) -> bool:
    """Open the paper account with cash, unless it is open (Terraform opens it in a provisioned stack)."""
    return get_trading_store().open_account(get_settings().account_id, cash)


def reset_account(cash: Decimal) -> None:
    """Close the paper account (cash and positions) and open it again with cash: benches and
    tests only (as the administrator; no function role may delete the book)."""
    import boto3

    settings = get_settings()
    ddb = boto3.session.Session().client("dynamodb")
    for page in ddb.get_paginator("query").paginate(
        TableName=settings.accounts_table,
        KeyConditionExpression="account_id = :a",
        ExpressionAttributeValues={":a": {"S": settings.account_id}},
        ProjectionExpression="account_id, #i",
        ExpressionAttributeNames={"#i": "item"},
    ):
        for key in page.get("Items", []):
            ddb.delete_item(TableName=settings.accounts_table, Key=key)
    seed_account(cash)
