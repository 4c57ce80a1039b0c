"""The local stand-in for the Lambda SQS event source mapping: long-poll the FIFO queue, hand real
SQS event batches to the order function, delete what it did not report as failed."""

from __future__ import annotations

import threading
from typing import Any

import boto3

from tradeloop_common.observability import logger
from tradeloop_local.lambda_pool import FunctionError, LambdaPool

BATCH_SIZE = 10
IDLE_WAIT_SECONDS = 0.25  # between empty polls: intents reach the order function within ~0.25 s


def sqs_event(records: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in records
        ]
    }


class QueuePoller:
    def __init__(self, session: boto3.session.Session, endpoint_url: str, queue_url: str, pool: LambdaPool) -> None:
        self._sqs = session.client("sqs", endpoint_url=endpoint_url)
        self._queue_url = queue_url
        self._pool = pool
        self._region = session.region_name or "us-east-1"
        self._arn = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqs-poller", daemon=True)
        self.batches = 0

    def poll_once(self, wait_seconds: int = 0) -> int:
        """One receive -> invoke -> delete cycle; returns how many records were handed over."""
        resp = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=BATCH_SIZE,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = resp.get("Messages", [])
        if not messages:
            return 0
        try:
            result = self._pool.invoke(sqs_event(messages, self._arn, self._region))
            failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        except FunctionError as exc:
            # A function error fails the whole batch: every record becomes visible again later.
            logger.error("order function failed on a batch", extra={"error": str(exc)})
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        self.batches += 1
        return len(messages)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                # Short polls with a client-side idle wait, not SQS long polling: the embedded
                # emulator serves one request at a time, so a 1 s long poll would hold every
                # other AWS call of the stack behind it.
                if self.poll_once(wait_seconds=0) == 0:
                    self._stop.wait(IDLE_WAIT_SECONDS)
            except Exception as exc:  # keep polling: a transient emulator error must not stop trading
                logger.exception("poller error", extra={"error": str(exc)})
                self._stop.wait(1)

    def start(self) -> QueuePoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
