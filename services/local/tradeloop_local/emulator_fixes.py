"""Where moto 5.2.5 behaves unlike AWS in ways tradeloop meets (IAM aside: emulator_iam), fixed in the
emulator process. Both were found by `make reliability`; tests in tests/integration.

* SQS FIFO redelivery order. moto keeps a message "pending" after its visibility timeout expires
  until a receive happens to walk past it, and decides which groups are blocked before that walk. So
  when two messages of a group were in flight (a batch whose consumer died) and both came back, the
  next receive skipped the first (the second still counted as pending), then delivered the second
  and everything after it: the group's head was left behind and its messages ran out of order (an
  intent to sell was processed before the intent to buy that preceded it). SQS FIFO never reorders a
  group: here every message whose timeout has expired stops being pending before a receive decides
  anything (test_emulator_persistence.py).
* DynamoDB transaction cost. To undo a cancelled TransactWriteItems, moto deep-copies every table the
  transaction names before it starts: every fill copied the whole orders table (7 ms empty, 67 ms
  with 1,000 orders, 200 ms with 3,000, on the serialised emulator), which a kept, growing paper
  account makes worse every day. Here the undo copy shares the untouched items and copies only the
  ones the transaction names, which are all it can change (test_emulator_fixes.py)."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

_installed = False


# ---- SQS ------------------------------------------------------------------------------------------


def _release_expired(queue: Any) -> None:
    """A message visible again is no longer in flight: its group is free, from its head."""
    if queue.pending_messages:
        for message in [m for m in queue.pending_messages if m.visible]:
            queue.pending_messages.discard(message)


# ---- DynamoDB -------------------------------------------------------------------------------------


def _touched(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, list[tuple[Any, Any]]]:
    """(hash, range) of every item a transaction names, per table."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    keys: dict[str, list[tuple[Any, Any]]] = defaultdict(list)
    for entry in transact_items:
        for op in entry.values():
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            source = (op.get("Key") or op.get("Item") or {}) if table is not None else {}
            if table is None or table.hash_key_attr not in source:
                continue  # moto refuses the transaction before it writes this item
            hash_value = DynamoType(source[table.hash_key_attr])
            range_attr = table.range_key_attr
            range_value = DynamoType(source[range_attr]) if range_attr and range_attr in source else None
            keys[table.name].append((hash_value, range_value))
    return keys


def _undo_copy(table: Any, keys: list[tuple[Any, Any]]) -> Any:
    """What moto restores if the transaction is cancelled: the table as it is, its item containers
    copied, the items the transaction names deep-copied (a write may change them in place)."""
    clone = copy.copy(table)
    if table.range_key_attr:
        clone.items = defaultdict(dict, {h: dict(ranges) for h, ranges in table.items.items()})
        for hash_value, range_value in keys:
            if range_value in table.items.get(hash_value, {}):
                clone.items[hash_value][range_value] = copy.deepcopy(table.items[hash_value][range_value])
    else:
        clone.items = defaultdict(dict, table.items)
        for hash_value, _ in keys:
            if hash_value in table.items:
                clone.items[hash_value] = copy.deepcopy(table.items[hash_value])
    return clone


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.sqs.models import SQSBackend

    receive = SQSBackend.receive_message

    def receive_message(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        _release_expired(self.get_queue(queue_name))
        return receive(self, queue_name, *args, **kwargs)

    transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        keys = _touched(self, transact_items)
        # moto takes its undo copy with copy.deepcopy(table): for this call only, that copy is ours.
        Table.__deepcopy__ = lambda table, memo: _undo_copy(table, keys.get(table.name, []))  # type: ignore[attr-defined]
        try:
            return transact(self, transact_items)
        finally:
            del Table.__deepcopy__  # type: ignore[attr-defined]

    SQSBackend.receive_message = receive_message  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _installed = True
