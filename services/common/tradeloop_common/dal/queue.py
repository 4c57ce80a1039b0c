"""The order-intent queue (SQS FIFO): one rebalance intent per session, group = the account (so an
account's sessions are rebalanced in order), deduplication id = intent id; and its dead-letter
queue, where the order function puts a message it can never process."""

from __future__ import annotations

from functools import lru_cache

from botocore.exceptions import ClientError

from tradeloop_common.dal.aws import client
from tradeloop_common.errors import ConfigurationError, StoreError
from tradeloop_common.models import RebalanceIntent
from tradeloop_common.settings import get_settings


class IntentQueue:
    def __init__(self, queue_url: str, account_id: str) -> None:
        self._url = queue_url
        self._group = account_id

    def send(self, intent: RebalanceIntent) -> str:
        """Send one intent; a resend within SQS's 5-minute window is dropped by FIFO deduplication,
        and the order service derives the order id from ``intent_id`` anyway."""
        if not self._url:
            raise ConfigurationError("TRADELOOP_ORDER_QUEUE_URL is not set: the signal service cannot send intents")
        try:
            resp = client("sqs").send_message(
                QueueUrl=self._url,
                MessageBody=intent.model_dump_json(),
                MessageGroupId=self._group,
                MessageDeduplicationId=intent.intent_id,
            )
        except ClientError as exc:
            raise StoreError(f"sending intent {intent.intent_id} failed") from exc
        return str(resp["MessageId"])


@lru_cache
def get_intent_queue() -> IntentQueue:
    settings = get_settings()
    return IntentQueue(settings.order_queue_url, settings.account_id)


class DeadLetters:
    def __init__(self, dlq_url: str) -> None:
        self._url = dlq_url

    def send(self, body: str, group: str, message_id: str, reason: str) -> None:
        """Park a message that can never be processed, with why; a repeat (the batch retried) is
        dropped by FIFO deduplication on the original message id."""
        if not self._url:
            raise ConfigurationError("TRADELOOP_ORDER_DLQ_URL is not set: the order service cannot dead-letter")
        try:
            client("sqs").send_message(
                QueueUrl=self._url,
                MessageBody=body,
                MessageGroupId=group,
                MessageDeduplicationId=message_id[:128],
                MessageAttributes={"reason": {"DataType": "String", "StringValue": reason[:1000] or "unreadable"}},
            )
        except ClientError as exc:
            raise StoreError(f"dead-lettering message {message_id} failed") from exc


@lru_cache
def get_dead_letters() -> DeadLetters:
    return DeadLetters(get_settings().order_dlq_url)
