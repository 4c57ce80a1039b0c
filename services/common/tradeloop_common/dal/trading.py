"""Orders, cash and positions. A fill is one DynamoDB transaction over all three."""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from tradeloop_common.accounting import FillEffect
from tradeloop_common.clock import iso
from tradeloop_common.dal.aws import client
from tradeloop_common.dal.codec import as_int, decode_start_key, encode_token, from_item, to_item
from tradeloop_common.errors import StoreError
from tradeloop_common.models import Order, OrderStatus, Position, Side
from tradeloop_common.settings import get_settings

CASH_ITEM = "CASH"
POSITION_PREFIX = "POS#"


class CommitOutcome(StrEnum):
    COMMITTED = "COMMITTED"
    DUPLICATE = "DUPLICATE"  # an order with this id already exists
    INSUFFICIENT_CASH = "INSUFFICIENT_CASH"
    CONFLICT = "CONFLICT"  # the position changed since it was read: re-read and retry


class TradingStore(ABC):
    @abstractmethod
    def get_order(self, order_id: str) -> Order | None: ...

    @abstractmethod
    def list_orders(
        self,
        account_id: str,
        *,
        symbol: str | None,
        status: OrderStatus | None,
        limit: int,
        next_token: str | None,
    ) -> tuple[list[Order], str | None]: ...

    @abstractmethod
    def get_cash(self, account_id: str) -> Decimal | None: ...

    @abstractmethod
    def get_positions(self, account_id: str) -> list[Position]: ...

    @abstractmethod
    def get_position(self, account_id: str, symbol: str) -> Position: ...

    @abstractmethod
    def put_new_order(self, order: Order) -> bool:
        """Store an order that moves no money (a rejection). False if the id already exists."""

    @abstractmethod
    def commit_fill(
        self, order: Order, effect: FillEffect, before: Position, guard: dict[str, Any] | None = None
    ) -> CommitOutcome:
        """Order + fill + cash + position in one transaction; ``guard`` is one more ConditionCheck
        item (the controls as read), whose failure is a CONFLICT."""

    @abstractmethod
    def open_account(self, account_id: str, cash: Decimal) -> bool:
        """Create the cash row if missing. False if the account already exists."""


def _order_item(order: Order) -> dict[str, Any]:
    data = order.model_dump(mode="python", exclude={"request_hash"})
    data["request_hash"] = order.request_hash
    data["side"] = order.side.value
    data["type"] = order.type.value
    data["status"] = order.status.value
    data["as_of"] = iso(order.as_of)
    data["created_at"] = iso(order.created_at)
    data["created_key"] = f"{iso(order.created_at)}#{order.order_id}"
    data["fills"] = [
        {"price": f.price, "quantity": f.quantity, "commission": f.commission, "filled_at": iso(f.filled_at)}
        for f in order.fills
    ]
    return data


def _order_from(item: dict[str, Any]) -> Order:
    data = from_item(item)
    data["quantity"] = as_int(data["quantity"])
    for f in data.get("fills", []):
        f["quantity"] = as_int(f["quantity"])
    return Order.model_validate(data)


def _position_from(symbol: str, data: dict[str, Any] | None) -> Position:
    if not data:
        return Position(symbol=symbol)
    return Position(
        symbol=symbol,
        quantity=as_int(data.get("quantity", 0)),
        cost_basis=Decimal(data.get("cost_basis", 0)),
        realized_pnl=Decimal(data.get("realized_pnl", 0)),
        version=as_int(data.get("version", 0)),
    )


class DynamoTradingStore(TradingStore):
    def __init__(self, orders_table: str, accounts_table: str) -> None:
        self._orders = orders_table
        self._accounts = accounts_table

    # ---- orders -------------------------------------------------------------------------------
    def get_order(self, order_id: str) -> Order | None:
        try:
            resp = client("dynamodb").get_item(
                TableName=self._orders, Key=to_item({"order_id": order_id}), ConsistentRead=True
            )
        except ClientError as exc:
            raise StoreError(f"reading order {order_id} failed") from exc
        return _order_from(resp["Item"]) if "Item" in resp else None

    def list_orders(
        self,
        account_id: str,
        *,
        symbol: str | None,
        status: OrderStatus | None,
        limit: int,
        next_token: str | None,
    ) -> tuple[list[Order], str | None]:
        index, key_name, key_value = (
            ("by_symbol", "symbol", symbol) if symbol else ("by_account", "account_id", account_id)
        )
        query: dict[str, Any] = {
            "TableName": self._orders,
            "IndexName": index,
            "KeyConditionExpression": "#k = :k",
            "ExpressionAttributeNames": {"#k": key_name},
            "ExpressionAttributeValues": to_item({":k": key_value}),
            "ScanIndexForward": False,
        }
        filters = []
        if symbol:
            filters.append("account_id = :acct")
            query["ExpressionAttributeValues"].update(to_item({":acct": account_id}))
        if status:
            filters.append("#st = :st")
            query["ExpressionAttributeNames"]["#st"] = "status"
            query["ExpressionAttributeValues"].update(to_item({":st": status.value}))
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
        start = (
            decode_start_key(next_token, ("order_id", key_name, "created_key"), {key_name: key_value})
            if next_token
            else None
        )
        orders: list[Order] = []
        while True:
            if start:
                query["ExclusiveStartKey"] = to_item(start)
            query["Limit"] = max(limit - len(orders), 1) if not filters else max(limit, 25)
            try:
                resp = client("dynamodb").query(**query)
            except ClientError as exc:
                raise StoreError("listing orders failed") from exc
            for item in resp.get("Items", []):
                orders.append(_order_from(item))
                if len(orders) == limit:
                    last = from_item(item)
                    token_key = {
                        "order_id": last["order_id"],
                        key_name: last[key_name],
                        "created_key": last["created_key"],
                    }
                    more = item is not resp["Items"][-1] or "LastEvaluatedKey" in resp
                    return orders, encode_token(token_key) if more else None
            if "LastEvaluatedKey" not in resp:
                return orders, None
            start = from_item(resp["LastEvaluatedKey"])

    def put_new_order(self, order: Order) -> bool:
        try:
            client("dynamodb").put_item(
                TableName=self._orders,
                Item=to_item(_order_item(order)),
                ConditionExpression="attribute_not_exists(order_id)",
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StoreError(f"storing order {order.order_id} failed") from exc

    # ---- account ------------------------------------------------------------------------------
    def _key(self, account_id: str, item: str) -> dict[str, Any]:
        return to_item({"account_id": account_id, "item": item})

    def get_cash(self, account_id: str) -> Decimal | None:
        resp = client("dynamodb").get_item(
            TableName=self._accounts, Key=self._key(account_id, CASH_ITEM), ConsistentRead=True
        )
        return Decimal(from_item(resp["Item"])["cash"]) if "Item" in resp else None

    def get_position(self, account_id: str, symbol: str) -> Position:
        resp = client("dynamodb").get_item(
            TableName=self._accounts, Key=self._key(account_id, POSITION_PREFIX + symbol), ConsistentRead=True
        )
        return _position_from(symbol, from_item(resp["Item"]) if "Item" in resp else None)

    def get_positions(self, account_id: str) -> list[Position]:
        paginator = client("dynamodb").get_paginator("query")
        positions: list[Position] = []
        for page in paginator.paginate(
            TableName=self._accounts,
            KeyConditionExpression="account_id = :a AND begins_with(#i, :p)",
            ExpressionAttributeNames={"#i": "item"},
            ExpressionAttributeValues=to_item({":a": account_id, ":p": POSITION_PREFIX}),
            ConsistentRead=True,
        ):
            for raw in page.get("Items", []):
                data = from_item(raw)
                positions.append(_position_from(str(data["item"])[len(POSITION_PREFIX) :], data))
        return positions

    def open_account(self, account_id: str, cash: Decimal) -> bool:
        try:
            client("dynamodb").put_item(
                TableName=self._accounts,
                Item=to_item({"account_id": account_id, "item": CASH_ITEM, "cash": cash, "version": 0}),
                ConditionExpression="attribute_not_exists(account_id)",
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    # ---- the money path -----------------------------------------------------------------------
    def commit_fill(
        self, order: Order, effect: FillEffect, before: Position, guard: dict[str, Any] | None = None
    ) -> CommitOutcome:
        now = iso(order.created_at)
        cash_update: dict[str, Any] = {
            "TableName": self._accounts,
            "Key": self._key(order.account_id, CASH_ITEM),
            "UpdateExpression": "ADD cash :delta, version :one SET updated_at = :now",
            "ExpressionAttributeValues": to_item({":delta": effect.cash_delta, ":one": 1, ":now": now}),
        }
        if order.side is Side.BUY:
            # The cash condition is what makes racing buys safe: DynamoDB evaluates it atomically
            # with the ADD, so cash can never go below zero whatever the interleaving.
            cash_update["ConditionExpression"] = "cash >= :need"
            cash_update["ExpressionAttributeValues"].update(to_item({":need": -effect.cash_delta}))
            added_cost = effect.position.cost_basis - before.cost_basis
            position_update = {
                "UpdateExpression": "ADD quantity :q, cost_basis :c, version :one "
                "SET realized_pnl = if_not_exists(realized_pnl, :zero), updated_at = :now",
                "ExpressionAttributeValues": to_item(
                    {":q": order.quantity, ":c": added_cost, ":one": 1, ":zero": Decimal(0), ":now": now}
                ),
            }
        else:
            cash_update["ConditionExpression"] = "attribute_exists(cash)"
            # A sell's realized P&L depends on the cost basis it read, so it may only apply to
            # exactly that version of the position.
            position_update = {
                "UpdateExpression": "SET quantity = :nq, cost_basis = :ncb, realized_pnl = :nr, "
                "updated_at = :now ADD version :one",
                "ConditionExpression": "version = :v AND quantity >= :q",
                "ExpressionAttributeValues": to_item(
                    {
                        ":nq": effect.position.quantity,
                        ":ncb": effect.position.cost_basis,
                        ":nr": effect.position.realized_pnl,
                        ":now": now,
                        ":one": 1,
                        ":v": before.version,
                        ":q": order.quantity,
                    }
                ),
            }
        position_update.update(
            TableName=self._accounts, Key=self._key(order.account_id, POSITION_PREFIX + order.symbol)
        )
        items = [
            {
                "Put": {
                    "TableName": self._orders,
                    "Item": to_item(_order_item(order)),
                    "ConditionExpression": "attribute_not_exists(order_id)",
                }
            },
            {"Update": cash_update},
            {"Update": position_update},
            *([guard] if guard else []),
        ]
        try:
            # No ClientRequestToken: a retry after CONFLICT sends different contents, which the
            # token would refuse; the order's attribute_not_exists guard already makes it idempotent.
            client("dynamodb").transact_write_items(TransactItems=items)
            return CommitOutcome.COMMITTED
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "TransactionCanceledException":
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                return _outcome_from(reasons, exc)
            if code in ("TransactionConflictException", "TransactionInProgressException"):
                return CommitOutcome.CONFLICT
            raise StoreError(f"committing order {order.order_id} failed: {code}") from exc


def _outcome_from(reasons: list[str], exc: Exception) -> CommitOutcome:
    padded = (reasons + ["None"] * 4)[:4]
    if padded[0] == "ConditionalCheckFailed":
        return CommitOutcome.DUPLICATE
    if padded[1] == "ConditionalCheckFailed":
        return CommitOutcome.INSUFFICIENT_CASH
    # [2]: the position moved under a sell; [3]: the controls changed (e.g. the kill switch): re-read.
    if "ConditionalCheckFailed" in padded[2:] or "TransactionConflict" in padded:
        return CommitOutcome.CONFLICT
    raise StoreError(f"transaction cancelled: {reasons}") from exc


@lru_cache
def get_trading_store() -> TradingStore:
    settings = get_settings()
    return DynamoTradingStore(settings.orders_table, settings.accounts_table)
