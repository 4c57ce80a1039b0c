"""What keeping the emulator's state costs (`make bench-persistence`; figures in docs/architecture.md).

1. Per request: median latency of the writes a fill makes (PutItem, UpdateItem, TransactWriteItems)
   and of a read, on an emulator keeping state (journal, fsync) and on one in memory, interleaved.
2. Snapshots and restarts with N orders in the orders table (items shaped like the order service's):
   the snapshot's size and time, a start from the snapshot alone (after `make down`), and a start
   that also replays the journal a SIGKILL left (3 s of work at most by default).
Medians on this machine; the tests assert behaviour, never these timings."""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tradeloop_local.embedded import admin_client, free_port, spawn_emulator, wait_http


def _start(state: Path | None, port: int, log: Path) -> tuple[Any, float]:
    started = time.perf_counter()
    proc = spawn_emulator(port, log, state_dir=state)
    wait_http(f"http://127.0.0.1:{port}/_tradeloop/iam", 300, proc, log)
    return proc, time.perf_counter() - started


def _tables(ddb: Any) -> None:
    ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "order_id", "AttributeType": "S"},
            {"AttributeName": "account_id", "AttributeType": "S"},
            {"AttributeName": "created_key", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_account",
                "KeySchema": [
                    {"AttributeName": "account_id", "KeyType": "HASH"},
                    {"AttributeName": "created_key", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.create_table(
        TableName="accounts",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="accounts", Item={"k": {"S": "cash"}, "cash": {"N": "1000000000"}})


def _order(i: int) -> dict[str, Any]:
    return {
        "order_id": {"S": f"order-{i:08d}"},
        "account_id": {"S": "paper"},
        "created_key": {"S": f"2012-06-01T21:00:00.000000Z#{i:08d}"},
        "client_order_id": {"S": f"signal:bench-{i}:AAPL"},
        "symbol": {"S": "AAPL"},
        "side": {"S": "BUY"},
        "quantity": {"N": "10"},
        "status": {"S": "FILLED"},
        "request_hash": {"S": "0" * 64},
        "fills": {
            "L": [
                {
                    "M": {
                        "price": {"N": "561.7808"},
                        "quantity": {"N": "10"},
                        "commission": {"N": "0.56"},
                        "filled_at": {"S": "2012-06-04T13:30:00Z"},
                    }
                }
            ]
        },
    }


def _fill(i: int) -> list[dict[str, Any]]:
    return [
        {"Put": {"TableName": "orders", "Item": _order(i), "ConditionExpression": "attribute_not_exists(order_id)"}},
        {
            "Update": {
                "TableName": "accounts",
                "Key": {"k": {"S": "cash"}},
                "UpdateExpression": "ADD cash :d",
                "ConditionExpression": "cash >= :need",
                "ExpressionAttributeValues": {":d": {"N": "-5618.37"}, ":need": {"N": "5618.37"}},
            }
        },
    ]


def _operations(ddb: Any, base: int) -> dict[str, Callable[[int], Any]]:
    return {
        "GetItem (read)": lambda i: ddb.get_item(TableName="accounts", Key={"k": {"S": "cash"}}),
        "PutItem": lambda i: ddb.put_item(TableName="orders", Item=_order(base + i)),
        "UpdateItem": lambda i: ddb.update_item(
            TableName="accounts",
            Key={"k": {"S": "cash"}},
            UpdateExpression="ADD cash :d",
            ExpressionAttributeValues={":d": {"N": "1"}},
        ),
        "TransactWriteItems (a fill)": lambda i: ddb.transact_write_items(TransactItems=_fill(2 * base + i)),
    }


def per_request(rounds: int, n: int) -> None:
    print(f"per request (median ms of {n} each, {rounds} interleaved rounds):")
    results: dict[str, dict[str, list[float]]] = {"in memory": {}, "kept (journal, fsync)": {}}
    appends: list[dict[str, float]] = []
    base = 10**7
    for r in range(rounds):
        for label in results:
            tmp = Path(tempfile.mkdtemp(prefix="bench-persistence-"))
            port = free_port()
            proc, _ = _start(tmp / "emulator" if label.startswith("kept") else None, port, tmp / "log")
            ddb = admin_client(f"http://127.0.0.1:{port}", "dynamodb")
            _tables(ddb)
            ops = _operations(ddb, base)
            for name, op in ops.items():
                for i in range(20):  # warm: moto builds each operation's parser, IAM its partitions
                    op(10**6 + r * 100 + i)
                took = []
                for i in range(n):
                    started = time.perf_counter()
                    op(r * n + i)
                    took.append((time.perf_counter() - started) * 1000)
                results[label].setdefault(name, []).append(statistics.median(took))
            if label.startswith("kept"):
                state = requests.get(f"http://127.0.0.1:{port}/_tradeloop/state", timeout=30).json()
                appends.append(state["append_ms"])
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    for name in results["in memory"]:
        mem, kept = (statistics.median(results[k][name]) for k in results)
        print(f"  {name:28s} in memory {mem:6.2f}   kept {kept:6.2f}   difference {kept - mem:+5.2f}")
    median = statistics.median(a["median"] for a in appends)
    p90 = statistics.median(a["p90"] for a in appends)
    print(f"  a record appended (pickled, written, fsync'd), in the emulator: median {median:.2f}, p90 {p90:.2f}")


def restarts(sizes: list[int]) -> None:
    print("snapshot and restart with N orders (one emulator, orders added in batches of 25):")
    tmp = Path(tempfile.mkdtemp(prefix="bench-persistence-"))
    state, port = tmp / "emulator", free_port()
    url = f"http://127.0.0.1:{port}"
    proc, first = _start(state, port, tmp / "log")
    print(f"  start with no state: {first:.2f}s")
    ddb = admin_client(url, "dynamodb")
    _tables(ddb)
    have = 0
    for size in sizes:
        while have < size:
            batch = [{"PutRequest": {"Item": _order(have + j)}} for j in range(25)]
            ddb.batch_write_item(RequestItems={"orders": batch})
            have += 25
        snap = requests.post(f"{url}/_tradeloop/snapshot", json={}, timeout=600).json()
        # Journal after the snapshot: fills until the next compaction would start (about 3 s of work).
        for i in range(200):
            ddb.transact_write_items(TransactItems=_fill(50_000_000 + size * 1000 + i))
        kept = requests.get(f"{url}/_tradeloop/state", timeout=30).json()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc, crash_start = _start(state, port, tmp / "log")
        replayed = requests.get(f"{url}/_tradeloop/state", timeout=30).json()["restored"]
        proc.send_signal(signal.SIGTERM)
        proc.wait()
        proc, clean_start = _start(state, port, tmp / "log")
        print(
            f"  {size:6d} orders: snapshot {snap['bytes'] / 2**20:5.1f} MiB in {snap['seconds']:.2f}s; "
            f"start after make down {clean_start:.2f}s; after SIGKILL {crash_start:.2f}s "
            f"({replayed['replayed']} records replayed in {replayed['seconds']:.2f}s of it; "
            f"journal {kept['journal_bytes'] / 1024:.0f} KiB)"
        )
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--orders", default="0,1000,5000,10000", help="comma-separated table sizes")
    args = parser.parse_args(argv)
    per_request(args.rounds, args.requests)
    restarts([int(x) for x in args.orders.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
