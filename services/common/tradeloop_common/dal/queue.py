"""The order-intent queue (SQS FIFO): group = symbol, deduplication id = intent id."""

from __future__ import annotations

from functools import lru_cache

from botocore.exceptions import ClientError

from tradeloop_common.dal.aws import client
from tradeloop_common.errors import ConfigurationError, StoreError
from tradeloop_common.models import OrderIntent
from tradeloop_common.settings import get_settings


class IntentQueue:
    def __init__(self, queue_url: str) -> None:
        self._url = queue_url

    def send(self, intent: OrderIntent) -> str:
        """Send one intent; a resend within SQS's 5-minute window is dropped by FIFO deduplication,
        and the order service derives the order id from ``intent_id`` anyway."""
        if not self._url:
            raise ConfigurationError("TRADELOOP_ORDER_QUEUE_URL is not set: the signal service cannot send intents")
        try:
            resp = client("sqs").send_message(
                QueueUrl=self._url,
                MessageBody=intent.model_dump_json(),
                MessageGroupId=intent.symbol,
                MessageDeduplicationId=intent.intent_id,
            )
        except ClientError as exc:
            raise StoreError(f"sending intent {intent.intent_id} failed") from exc
        return str(resp["MessageId"])


@lru_cache
def get_intent_queue() -> IntentQueue:
    return IntentQueue(get_settings().order_queue_url)
