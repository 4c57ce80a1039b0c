"""Orders, cash and positions. A fill is one DynamoDB transaction over all three."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from tradeloop_common.accounting import FillEffect
from tradeloop_common.clock import iso
from tradeloop_common.dal.aws import batch_get_items, client
from tradeloop_common.dal.codec import as_int, decode_start_key, encode_token, from_item, to_item
from tradeloop_common.dal.controls import ControlsGuard
from tradeloop_common.errors import StoreError
from tradeloop_common.models import Order, OrderStatus, Position, Reconciliation, Side
from tradeloop_common.settings import get_settings

CASH_ITEM = "CASH"
POSITION_PREFIX = "POS#"
RECONCILIATION_PREFIX = "RECON#"  # one item per session: the book checked against the broker


class CommitOutcome(StrEnum):
    COMMITTED = "COMMITTED"
    DUPLICATE = "DUPLICATE"  # an order with this id already exists
    INSUFFICIENT_CASH = "INSUFFICIENT_CASH"
    CONFLICT = "CONFLICT"  # the position or the controls changed since they were read: re-read and retry
    NOT_PENDING = "NOT_PENDING"  # the pending order was filled or closed meanwhile: read it again


@dataclass(frozen=True)
class CashState:
    """The account's CASH item: cash, and the buying power pending orders leave (available =
    cash - reserved, kept as its own attribute because a condition cannot subtract two)."""

    cash: Decimal
    available: Decimal
    reserved: Decimal
    opening_cash: Decimal
    # Every write that moves money (a fill, a reservation, its release) moves this too: two reads
    # with the same version saw no such write between them. A counter, not part of the value.
    version: int = field(default=0, compare=False)


class TradingStore(ABC):
    @abstractmethod
    def get_order(self, order_id: str) -> Order | None: ...

    def get_orders(self, order_ids: list[str]) -> dict[str, Order]:
        """The orders that exist among ``order_ids`` (a store may batch the reads)."""
        return {i: o for i in order_ids if (o := self.get_order(i)) is not None}

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
        self, order: Order, effect: FillEffect, before: Position, guard: ControlsGuard | None = None
    ) -> CommitOutcome:
        """Order + fill + cash + position in one transaction; with ``guard`` (the controls as
        read), only if the controls are still at that version, else a CONFLICT."""

    @abstractmethod
    def open_account(self, account_id: str, cash: Decimal) -> bool:
        """Create the cash row if missing. False if the account already exists."""

    @abstractmethod
    def get_cash_state(self, account_id: str) -> CashState | None: ...

    @abstractmethod
    def put_reconciliation(self, result: Reconciliation) -> None: ...

    @abstractmethod
    def latest_reconciliation(self, account_id: str) -> Reconciliation | None: ...

    @abstractmethod
    def put_pending(self, order: Order, guard: ControlsGuard | None = None) -> CommitOutcome:
        """A PENDING order and its reservation (``order.reserved`` taken from the buying power), in
        one transaction; a buy needs that much buying power. ``guard`` as in ``commit_fill``."""

    @abstractmethod
    def list_pending(self, account_id: str, upto: date | None = None) -> list[Order]:
        """PENDING orders whose session is on or before ``upto``, oldest session first."""

    @abstractmethod
    def fill_pending(
        self, filled: Order, effect: FillEffect, before: Position, guard: ControlsGuard | None = None
    ) -> CommitOutcome:
        """A PENDING order filled: the order, cash, buying power (its reservation released),
        the position, in one transaction, only if the order is still PENDING. ``guard`` as in
        ``commit_fill``."""

    @abstractmethod
    def close_pending(self, closed: Order) -> CommitOutcome:
        """A PENDING order ended without a fill (REJECTED, CANCELLED, EXPIRED): its reservation
        comes back, only if it was still PENDING."""


def _order_item(order: Order) -> dict[str, Any]:
    data = order.model_dump(mode="python", exclude={"request_hash"})
    data["request_hash"] = order.request_hash
    data["side"] = order.side.value
    data["type"] = order.type.value
    data["status"] = order.status.value
    data["as_of"] = iso(order.as_of)
    data["created_at"] = iso(order.created_at)
    data["created_key"] = f"{iso(order.created_at)}#{order.order_id}"
    data["time_in_force"] = order.time_in_force.value
    data["session"] = order.session.isoformat() if order.session else None
    if order.status is OrderStatus.PENDING:
        # The sparse `pending` index holds an order only while it waits for its fill.
        data["pending_key"] = f"{order.session.isoformat() if order.session else ''}#{order.order_id}"
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
    """The orders table; the accounts table (cash, positions, reconciliations); and the controls
    table, which a guarded write checks (a ConditionCheck in its transaction)."""

    def __init__(self, orders_table: str, accounts_table: str, controls_table: str) -> None:
        self._orders = orders_table
        self._accounts = accounts_table
        self._controls = controls_table

    # ---- orders -------------------------------------------------------------------------------
    def get_order(self, order_id: str) -> Order | None:
        try:
            resp = client("dynamodb").get_item(
                TableName=self._orders, Key=to_item({"order_id": order_id}), ConsistentRead=True
            )
        except ClientError as exc:
            raise StoreError(f"reading order {order_id} failed") from exc
        return _order_from(resp["Item"]) if "Item" in resp else None

    def get_orders(self, order_ids: list[str]) -> dict[str, Order]:
        """BatchGetItem, 100 keys a request, strongly consistent (a rebalance checks its 500 orders
        in 5 requests, not 500)."""
        keys = [to_item({"order_id": i}) for i in sorted(set(order_ids))]
        orders = [_order_from(item) for item in batch_get_items(self._orders, keys, "orders")]
        return {o.order_id: o for o in orders}

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
        try:
            resp = client("dynamodb").get_item(
                TableName=self._accounts, Key=self._key(account_id, CASH_ITEM), ConsistentRead=True
            )
        except ClientError as exc:
            raise StoreError(f"reading the cash of {account_id} failed") from exc
        return Decimal(from_item(resp["Item"])["cash"]) if "Item" in resp else None

    def get_position(self, account_id: str, symbol: str) -> Position:
        try:
            resp = client("dynamodb").get_item(
                TableName=self._accounts, Key=self._key(account_id, POSITION_PREFIX + symbol), ConsistentRead=True
            )
        except ClientError as exc:
            raise StoreError(f"reading the {symbol} position of {account_id} failed") from exc
        return _position_from(symbol, from_item(resp["Item"]) if "Item" in resp else None)

    def get_positions(self, account_id: str) -> list[Position]:
        paginator = client("dynamodb").get_paginator("query")
        positions: list[Position] = []
        try:
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
        except ClientError as exc:
            raise StoreError(f"reading the positions of {account_id} failed") from exc
        return positions

    def open_account(self, account_id: str, cash: Decimal) -> bool:
        item = {
            "account_id": account_id,
            "item": CASH_ITEM,
            "cash": cash,
            "available": cash,
            "reserved": Decimal(0),
            "opening_cash": cash,
            "version": 0,
        }
        try:
            client("dynamodb").put_item(
                TableName=self._accounts, Item=to_item(item), ConditionExpression="attribute_not_exists(account_id)"
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise StoreError(f"opening account {account_id} failed") from exc

    def get_cash_state(self, account_id: str) -> CashState | None:
        try:
            resp = client("dynamodb").get_item(
                TableName=self._accounts, Key=self._key(account_id, CASH_ITEM), ConsistentRead=True
            )
        except ClientError as exc:
            raise StoreError(f"reading the cash of {account_id} failed") from exc
        if "Item" not in resp:
            return None
        data = from_item(resp["Item"])
        cash = Decimal(data["cash"])
        return CashState(
            cash=cash,
            available=Decimal(data.get("available", cash)),
            reserved=Decimal(data.get("reserved", 0)),
            opening_cash=Decimal(data.get("opening_cash", cash)),
            version=as_int(data.get("version", 0)),
        )

    def put_reconciliation(self, result: Reconciliation) -> None:
        data = result.model_dump(mode="json")
        data.update(item=f"{RECONCILIATION_PREFIX}{result.session.isoformat()}")
        try:
            client("dynamodb").put_item(TableName=self._accounts, Item=to_item(_decimals(data)))
        except ClientError as exc:
            raise StoreError(f"storing the reconciliation of {result.session} failed") from exc

    def latest_reconciliation(self, account_id: str) -> Reconciliation | None:
        try:
            resp = client("dynamodb").query(
                TableName=self._accounts,
                KeyConditionExpression="account_id = :a AND begins_with(#i, :p)",
                ExpressionAttributeNames={"#i": "item"},
                ExpressionAttributeValues=to_item({":a": account_id, ":p": RECONCILIATION_PREFIX}),
                ScanIndexForward=False,
                Limit=1,
            )
        except ClientError as exc:
            raise StoreError(f"reading the reconciliation of {account_id} failed") from exc
        items = resp.get("Items", [])
        return Reconciliation.model_validate(from_item(items[0])) if items else None

    def list_pending(self, account_id: str, upto: date | None = None) -> list[Order]:
        condition, values = "account_id = :a", {":a": account_id}
        if upto is not None:
            condition += " AND pending_key < :k"  # "<session>#<order_id>" sorts by session
            values[":k"] = f"{upto.isoformat()}$"  # "$" sorts after "#": every order of that session
        orders: list[Order] = []
        try:
            for page in (
                client("dynamodb")
                .get_paginator("query")
                .paginate(
                    TableName=self._orders,
                    IndexName="pending",
                    KeyConditionExpression=condition,
                    ExpressionAttributeValues=to_item(values),
                )
            ):
                orders.extend(_order_from(item) for item in page.get("Items", []))
        except ClientError as exc:
            raise StoreError(f"listing the pending orders of {account_id} failed") from exc
        # The index is eventually consistent: an order filled a moment ago may still be listed.
        return [o for o in orders if o.status is OrderStatus.PENDING]

    # ---- the money path -----------------------------------------------------------------------
    def _position_update(self, order: Order, effect: FillEffect, before: Position, now: str) -> dict[str, Any]:
        # The shares this fill moves: all of the order, or what a broker filled of it before it ended.
        filled = order.filled_quantity
        if order.side is Side.BUY:
            update: dict[str, Any] = {
                "UpdateExpression": "ADD quantity :q, cost_basis :c, version :one "
                "SET realized_pnl = if_not_exists(realized_pnl, :zero), updated_at = :now",
                "ExpressionAttributeValues": to_item(
                    {
                        ":q": filled,
                        ":c": effect.position.cost_basis - before.cost_basis,
                        ":one": 1,
                        ":zero": Decimal(0),
                        ":now": now,
                    }
                ),
            }
        else:
            # A sell's realized P&L depends on the cost basis it read, so it may only apply to
            # exactly that version of the position.
            update = {
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
                        ":q": filled,
                    }
                ),
            }
        update.update(TableName=self._accounts, Key=self._key(order.account_id, POSITION_PREFIX + order.symbol))
        return update

    def _cash_update(
        self, order: Order, cash_delta: Decimal, available_delta: Decimal, now: str, release: bool = False
    ) -> dict[str, Any]:
        """cash and buying power move together in one update; a buy needs what it takes. A
        ``release`` (an order ended without a fill) gives back what its order held and is never
        refused: a pending sell's credit goes even when buys have spent the buying power it gave."""
        values = {
            ":delta": cash_delta,
            ":avail": available_delta,
            ":res": cash_delta - available_delta,
            ":one": 1,
            ":now": now,
        }
        update: dict[str, Any] = {
            "TableName": self._accounts,
            "Key": self._key(order.account_id, CASH_ITEM),
            "UpdateExpression": "ADD cash :delta, available :avail, reserved :res, version :one SET updated_at = :now",
            "ConditionExpression": "attribute_exists(cash)",
        }
        if available_delta < 0 and cash_delta == 0 and not release:
            # A reservation: the buying power must cover it (DynamoDB checks it atomically with the ADD).
            update["ConditionExpression"] = "available >= :need"
            values[":need"] = -available_delta
        elif cash_delta < 0:
            # A fill: the cash must cover it, whatever the interleaving of racing buys.
            update["ConditionExpression"] = "cash >= :need"
            values[":need"] = -cash_delta
        update["ExpressionAttributeValues"] = to_item(values)
        return update

    def _transact(self, order_id: str, items: list[dict[str, Any]], outcome_of: Any) -> CommitOutcome:
        try:
            # No ClientRequestToken: a retry after CONFLICT sends different contents, which the
            # token would refuse; each order's own condition already makes a write happen once.
            client("dynamodb").transact_write_items(TransactItems=items)
            return CommitOutcome.COMMITTED
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "TransactionCanceledException":
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                return outcome_of((reasons + ["None"] * len(items))[: len(items)], exc)
            if code in ("TransactionConflictException", "TransactionInProgressException"):
                return CommitOutcome.CONFLICT
            raise StoreError(f"writing order {order_id} failed: {code}") from exc

    def _guard_check(self, guard: ControlsGuard | None) -> list[dict[str, Any]]:
        """The transaction item that holds a write to the controls as read: none without a guard."""
        if guard is None:
            return []
        check: dict[str, Any] = {"TableName": self._controls, "Key": to_item({"account_id": guard.account_id})}
        if guard.version == 0:
            check["ConditionExpression"] = "attribute_not_exists(account_id)"
        else:
            check["ConditionExpression"] = "version = :v"
            check["ExpressionAttributeValues"] = to_item({":v": guard.version})
        return [{"ConditionCheck": check}]

    def _order_put(self, order: Order, condition: str) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._orders, "Item": to_item(_order_item(order))}
        if condition == "new":
            put["ConditionExpression"] = "attribute_not_exists(order_id)"
        else:  # replace a PENDING order by its next state
            put["ConditionExpression"] = "#st = :pending"
            put["ExpressionAttributeNames"] = {"#st": "status"}
            put["ExpressionAttributeValues"] = to_item({":pending": OrderStatus.PENDING.value})
        return {"Put": put}

    def commit_fill(
        self, order: Order, effect: FillEffect, before: Position, guard: ControlsGuard | None = None
    ) -> CommitOutcome:
        """A manual order filled at once: the order, cash (and buying power), the position."""
        now = iso(order.created_at)
        items = [
            self._order_put(order, "new"),
            # Buying power, not cash: cash that pending orders reserved is not there to spend.
            {"Update": self._cash_update(order, effect.cash_delta, effect.cash_delta, now)},
            {"Update": self._position_update(order, effect, before, now)},
            *self._guard_check(guard),
        ]
        if order.side is Side.BUY:
            cash = items[1]["Update"]
            cash["ConditionExpression"] = "available >= :need"
        return self._transact(order.order_id, items, _fill_outcome(first=CommitOutcome.DUPLICATE))

    def put_pending(self, order: Order, guard: ControlsGuard | None = None) -> CommitOutcome:
        now = iso(order.created_at)
        items = [
            self._order_put(order, "new"),
            {"Update": self._cash_update(order, Decimal(0), -order.reserved, now)},
            *self._guard_check(guard),
        ]
        return self._transact(order.order_id, items, _fill_outcome(first=CommitOutcome.DUPLICATE))

    def fill_pending(
        self, filled: Order, effect: FillEffect, before: Position, guard: ControlsGuard | None = None
    ) -> CommitOutcome:
        now = iso(filled.fills[-1].filled_at)
        items = [
            self._order_put(filled, "pending"),
            # The reservation goes back as the real cost (or proceeds) is booked.
            {"Update": self._cash_update(filled, effect.cash_delta, effect.cash_delta + filled.reserved, now)},
            {"Update": self._position_update(filled, effect, before, now)},
            *self._guard_check(guard),
        ]
        return self._transact(filled.order_id, items, _fill_outcome(first=CommitOutcome.NOT_PENDING))

    def close_pending(self, closed: Order) -> CommitOutcome:
        now = iso(closed.created_at)
        items = [
            self._order_put(closed, "pending"),
            {"Update": self._cash_update(closed, Decimal(0), closed.reserved, now, release=True)},
        ]
        return self._transact(closed.order_id, items, _fill_outcome(first=CommitOutcome.NOT_PENDING))


def _decimals(data: Any) -> Any:
    """JSON numbers as Decimal (DynamoDB takes no float)."""
    if isinstance(data, float):
        return Decimal(str(data))
    if isinstance(data, dict):
        return {k: _decimals(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_decimals(v) for v in data]
    return data


def _fill_outcome(first: CommitOutcome) -> Any:
    """What a cancelled transaction means, by the item that failed: [0] the order (a duplicate, or
    no longer pending), [1] the cash, [2:] the position under a sell or the controls: re-read."""

    def outcome(reasons: list[str], exc: Exception) -> CommitOutcome:
        if reasons[0] == "ConditionalCheckFailed":
            return first
        if reasons[1] == "ConditionalCheckFailed":
            return CommitOutcome.INSUFFICIENT_CASH
        if "ConditionalCheckFailed" in reasons[2:] or "TransactionConflict" in reasons:
            return CommitOutcome.CONFLICT
        raise StoreError(f"transaction cancelled: {reasons}") from exc

    return outcome


@lru_cache
def get_trading_store() -> TradingStore:
    settings = get_settings()
    return DynamoTradingStore(settings.orders_table, settings.accounts_table, settings.controls_table)
