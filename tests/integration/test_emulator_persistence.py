"""The emulator keeps its state (tradeloop_local.persistence): every answered change survives a SIGKILL
and a clean stop, replay rebuilds the same state (receipt handles, role credentials, FIFO
deduplication), a torn last record is dropped and a corrupt one refused. Each test runs its own
emulator process on a state directory of its own; no stack is provisioned."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from tradeloop_local.embedded import admin_client, free_port, spawn_emulator, wait_http
from tradeloop_local.persistence import JOURNAL_FILE, SNAPSHOT_FILE, may_change_state

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


class Emulator:
    """One emulator process on a fixed port and state directory, restartable."""

    def __init__(self, state: Path) -> None:
        self.state, self.port = state, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = state.parent / "emulator.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Emulator:
        self.proc = spawn_emulator(self.port, self.log, state_dir=self.state)
        wait_http(f"{self.url}/_tradeloop/iam", 60, self.proc, self.log)
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def state_report(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.url}/_tradeloop/state", timeout=10).json())

    def client(self, service: str, **credentials: str) -> Any:
        config = Config(retries={"mode": "standard", "max_attempts": 3})
        if not credentials:
            return admin_client(self.url, service, config)
        return boto3.session.Session(**{k.lower(): v for k, v in credentials.items()}, region_name="us-east-1").client(
            service, endpoint_url=self.url, config=config
        )


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    emu = Emulator(tmp_path / "emulator").start()
    yield emu
    if emu.proc is not None and emu.proc.poll() is None:
        emu.kill()


def _fill(emu: Emulator) -> dict[str, Any]:
    """Tables, a versioned bucket and a FIFO queue with messages in flight; what a test compares."""
    ddb, s3, sqs = emu.client("dynamodb"), emu.client("s3"), emu.client("sqs")
    ddb.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(30):
        ddb.put_item(TableName="ledger", Item={"k": {"S": f"k{i}"}, "cash": {"N": "100"}})
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "ledger",
                    "Key": {"k": {"S": "k1"}},
                    "UpdateExpression": "ADD cash :d",
                    "ExpressionAttributeValues": {":d": {"N": "-12.34"}},
                }
            },
            {"Put": {"TableName": "ledger", "Item": {"k": {"S": "order-1"}}}},
        ]
    )
    s3.create_bucket(Bucket="data")
    s3.put_bucket_versioning(Bucket="data", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"v1", b"v2"):
        s3.put_object(Bucket="data", Key="bars/daily/AAPL.csv", Body=body)
    queue = sqs.create_queue(QueueName="intents.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "300"})[
        "QueueUrl"
    ]
    for i in range(6):
        sqs.send_message(
            QueueUrl=queue, MessageBody=f"m{i}", MessageGroupId=f"g{i % 2}", MessageDeduplicationId=f"d{i}"
        )
    in_flight = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=2)["Messages"]
    return {"queue": queue, "in_flight": in_flight}


def _view(emu: Emulator, queue: str) -> dict[str, Any]:
    ddb, s3, sqs = emu.client("dynamodb"), emu.client("s3"), emu.client("sqs")
    items = sorted(json.dumps(i, sort_keys=True) for i in ddb.scan(TableName="ledger")["Items"])
    versions = [
        (v["Key"], v["VersionId"], v["ETag"]) for v in s3.list_object_versions(Bucket="data").get("Versions", [])
    ]
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    counts = {k: v for k, v in attrs.items() if k.startswith("ApproximateNumberOfMessages")}
    return {"items": items, "versions": versions, "queue": counts}


def test_every_answered_change_survives_a_sigkill_and_replays_to_the_same_state(emulator: Emulator) -> None:
    # Given tables, object versions and in-flight FIFO messages, every change answered
    filled = _fill(emulator)
    before = _view(emulator, filled["queue"])
    # When the emulator is killed without a chance to save anything, and started again
    emulator.kill()
    emulator.start()
    # Then everything is back, replayed from the journal to the same answers
    restored = emulator.state_report()["restored"]
    assert restored["replayed"] > 40 and restored["divergent"] == 0
    assert _view(emulator, filled["queue"]) == before
    # And the consumer that received messages before the crash can still delete them
    sqs = emulator.client("sqs")
    deleted = sqs.delete_message_batch(
        QueueUrl=filled["queue"],
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(filled["in_flight"])],
    )
    assert len(deleted["Successful"]) == 2 and not deleted.get("Failed")


def test_a_clean_stop_writes_a_snapshot_so_the_next_start_replays_nothing(emulator: Emulator) -> None:
    filled = _fill(emulator)
    before = _view(emulator, filled["queue"])
    # When the emulator is stopped as `make down` stops it
    emulator.stop()
    # Then the journal was folded into a snapshot
    assert (emulator.state / SNAPSHOT_FILE).stat().st_size > 0
    assert (emulator.state / JOURNAL_FILE).stat().st_size == 0
    emulator.start()
    restored = emulator.state_report()["restored"]
    assert restored["snapshot_seq"] > 0 and restored["replayed"] == 0
    assert _view(emulator, filled["queue"]) == before


def _role_credentials(emu: Emulator) -> dict[str, str]:
    """A role the Lambda service may assume (SQS only), and the credentials the runtime gets for it."""
    iam = emu.client("iam")
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]
    iam.put_role_policy(
        RoleName="fn",
        PolicyName="queue",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["sqs:ListQueues", "sqs:SendMessage"], "Resource": "*"}],
            }
        ),
    )
    return dict(
        requests.post(
            f"{emu.url}/_tradeloop/lambda-credentials", json={"role_arn": role["Arn"], "session_name": "t"}, timeout=10
        ).json()
    )


def _send_as_a_function(emu: Emulator, credentials: dict[str, str], queue: str, start: int, n: int) -> None:
    """Writes whose answers carry moto's random ids (message id, sequence number), some of them
    repeats that FIFO deduplication drops, as the order function dead-letters."""
    sqs = emu.client("sqs", **credentials)
    for i in range(start, start + n):
        sqs.send_message(
            QueueUrl=queue,
            MessageBody=f"body {i}",
            MessageGroupId="g",
            MessageDeduplicationId=f"d{i % 7}",
            MessageAttributes={"reason": {"DataType": "String", "StringValue": "unreadable"}},
        )


def test_a_function_roles_credentials_work_after_a_crash(emulator: Emulator) -> None:
    # Given the runtime's credentials for a function's role, and writes made with them
    credentials = _role_credentials(emulator)
    queue = emulator.client("sqs").create_queue(QueueName="dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    _send_as_a_function(emulator, credentials, queue, 0, 3)
    # When the emulator crashes and comes back
    emulator.kill()
    emulator.start()
    # Then replay rebuilt those writes exactly (authorising them drew nothing from moto's random source)
    assert emulator.state_report()["restored"]["divergent"] == 0
    # And the runtime's credentials still authenticate, and still only for what the role allows
    emulator.client("sqs", **credentials).list_queues()
    with pytest.raises(Exception, match="AccessDenied|not authorized"):
        emulator.client("dynamodb", **credentials).list_tables()


def test_replay_after_a_snapshot_gives_every_answer_it_gave_live(emulator: Emulator) -> None:
    # Given writes as a function role, a snapshot in the middle of them, and more writes after it
    credentials = _role_credentials(emulator)
    queue = emulator.client("sqs").create_queue(QueueName="dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    _send_as_a_function(emulator, credentials, queue, 0, 10)
    requests.post(f"{emulator.url}/_tradeloop/snapshot", json={}, timeout=30).raise_for_status()
    _send_as_a_function(emulator, credentials, queue, 10, 10)
    # When the emulator crashes and starts from the snapshot and the journal after it
    emulator.kill()
    emulator.start()
    # Then every record replayed to the answer it got live (moto creating an IAM partition again on
    # the first request after the snapshot drew from the random source the request's ids came from)
    restored = emulator.state_report()["restored"]
    assert restored["snapshot_seq"] > 0 and restored["replayed"] == 10
    assert restored["divergent"] == 0, restored["divergences"]


def test_fifo_deduplication_survives_a_crash(emulator: Emulator) -> None:
    sqs = emulator.client("sqs")
    queue = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="intent", MessageGroupId="AAPL", MessageDeduplicationId="i-1")
    emulator.kill()
    emulator.start()
    # When a producer that got no answer sends the same message again
    sqs.send_message(QueueUrl=queue, MessageBody="intent", MessageGroupId="AAPL", MessageDeduplicationId="i-1")
    # Then SQS still knows it: one message
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "1"


def test_fifo_group_is_redelivered_from_its_head_after_a_consumer_dies(emulator: Emulator) -> None:
    # Given two messages of a group received by a consumer that then died (never deleted them)
    sqs = emulator.client("sqs")
    queue = sqs.create_queue(QueueName="g.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "1"})["QueueUrl"]
    for i in range(1, 5):
        sqs.send_message(QueueUrl=queue, MessageBody=f"m{i}", MessageGroupId="IBM", MessageDeduplicationId=f"d{i}")
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=2)["Messages"]] == ["m1", "m2"]
    # When their visibility timeout expires and the next consumer receives
    time.sleep(1.5)
    again = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    # Then the group comes back in order from its head (moto alone skipped m1 and delivered m2..m4)
    assert [m["Body"] for m in again] == ["m1", "m2", "m3", "m4"]


def test_a_torn_last_record_is_dropped_and_everything_before_it_restored(emulator: Emulator) -> None:
    filled = _fill(emulator)
    before = _view(emulator, filled["queue"])
    emulator.kill()
    # Given a crash in the middle of appending a record (its header written, half its payload)
    with open(emulator.state / JOURNAL_FILE, "ab") as journal:
        journal.write((5000).to_bytes(4, "big") + (0).to_bytes(4, "big") + b"half a record")
    emulator.start()
    restored = emulator.state_report()["restored"]
    assert restored["torn_bytes"] == 21 and restored["divergent"] == 0
    assert _view(emulator, filled["queue"]) == before


def test_a_corrupt_record_in_the_middle_refuses_to_start_and_keeps_the_files(emulator: Emulator) -> None:
    _fill(emulator)
    emulator.kill()
    journal = emulator.state / JOURNAL_FILE
    data = bytearray(journal.read_bytes())
    data[40] ^= 0xFF  # inside the first record's payload
    journal.write_bytes(bytes(data))
    proc = spawn_emulator(emulator.port, emulator.log, state_dir=emulator.state)
    assert proc.wait(timeout=60) != 0
    assert "is corrupt" in emulator.log.read_text()
    assert journal.read_bytes() == bytes(data)


@pytest.mark.parametrize(
    ("method", "action", "changes"),
    [
        ("POST", "GetItem", False),
        ("POST", "Query", False),
        ("POST", "TransactGetItems", False),
        ("POST", "TransactWriteItems", True),
        ("POST", "ReceiveMessage", True),
        ("POST", "GetSessionToken", True),
        ("POST", "AssumeRole", True),
        ("GET", None, False),
        ("HEAD", None, False),
        ("PUT", None, True),
        ("DELETE", None, True),
    ],
)
def test_what_is_journaled_is_everything_not_known_to_be_a_read(method: str, action: str | None, changes: bool) -> None:
    assert may_change_state(method, action) is changes
