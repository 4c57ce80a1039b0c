"""The emulator's DynamoDB transactions (tradeloop_local.emulator_fixes): all or nothing as in AWS, at a
cost that does not grow with the tables. One emulator process of its own; no stack."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tradeloop_local.embedded import admin_client, running_emulator


@pytest.fixture(scope="module")
def ddb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with running_emulator(tmp_path_factory.mktemp("fixes") / "emulator.log") as (url, _):
        client = admin_client(url, "dynamodb")
        client.create_table(
            TableName="accounts",
            KeySchema=[
                {"AttributeName": "account_id", "KeyType": "HASH"},
                {"AttributeName": "item", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "account_id", "AttributeType": "S"},
                {"AttributeName": "item", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _scan(ddb: Any) -> dict[str, list[str]]:
    return {
        t: sorted(json.dumps(i, sort_keys=True) for i in ddb.scan(TableName=t)["Items"]) for t in ("accounts", "orders")
    }


def _fill(order_id: str, cash_delta: str, need: str) -> list[dict[str, Any]]:
    """A fill as the order service books it: the order, the cash (conditional), the position."""
    return [
        {
            "Put": {
                "TableName": "orders",
                "Item": {"order_id": {"S": order_id}},
                "ConditionExpression": "attribute_not_exists(order_id)",
            }
        },
        {
            "Update": {
                "TableName": "accounts",
                "Key": {"account_id": {"S": "paper"}, "item": {"S": "CASH"}},
                "UpdateExpression": "ADD cash :d",
                "ConditionExpression": "cash >= :need",
                "ExpressionAttributeValues": {":d": {"N": cash_delta}, ":need": {"N": need}},
            }
        },
        {
            "Update": {
                "TableName": "accounts",
                "Key": {"account_id": {"S": "paper"}, "item": {"S": "POS#AAPL"}},
                "UpdateExpression": "ADD quantity :q",
                "ExpressionAttributeValues": {":q": {"N": "1"}},
            }
        },
    ]


def test_a_cancelled_transaction_changes_nothing_and_a_committed_one_everything(ddb: Any) -> None:
    ddb.put_item(TableName="accounts", Item={"account_id": {"S": "paper"}, "item": {"S": "CASH"}, "cash": {"N": "100"}})
    ddb.put_item(
        TableName="accounts", Item={"account_id": {"S": "paper"}, "item": {"S": "POS#AAPL"}, "quantity": {"N": "5"}}
    )
    before = _scan(ddb)
    # Given a fill whose cash condition fails after its order item and position were written in moto
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(TransactItems=_fill("o-1", "-150", "150"))
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    # Then nothing changed: no order, cash and position as they were
    assert _scan(ddb) == before
    # When an affordable fill is booked
    ddb.transact_write_items(TransactItems=_fill("o-2", "-40", "40"))
    # Then all three items changed together
    after = _scan(ddb)
    assert any('"o-2"' in i for i in after["orders"])
    assert any('"60"' in i for i in after["accounts"]) and any('"6"' in i for i in after["accounts"])


def test_a_transaction_costs_the_same_with_thousands_of_orders_in_the_table(ddb: Any) -> None:
    cash = {"account_id": {"S": "paper"}, "item": {"S": "CASH"}, "cash": {"N": "1000000000"}}
    ddb.put_item(TableName="accounts", Item=cash)

    def median_fill_ms(tag: str) -> float:
        took = []
        for i in range(8):
            started = time.perf_counter()
            ddb.transact_write_items(TransactItems=_fill(f"{tag}-{i}", "-1", "1"))
            took.append(time.perf_counter() - started)
        return statistics.median(took) * 1000

    small = median_fill_ms("small")
    # Given 3,000 orders in the table (moto alone copied them all for every transaction: ~30x slower)
    for start in range(0, 3000, 25):
        ddb.batch_write_item(
            RequestItems={
                "orders": [
                    {"PutRequest": {"Item": {"order_id": {"S": f"bulk-{n}"}, "pad": {"S": "x" * 300}}}}
                    for n in range(start, start + 25)
                ]
            }
        )
    large = median_fill_ms("large")
    # Then a fill costs about what it did on an empty table
    assert large < 3 * small + 5, (small, large)
