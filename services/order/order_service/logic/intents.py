"""One SQS message: a session's rebalance intent (tradeloop_common.models.RebalanceIntent).

A message that is not a usable intent is refused (``PoisonIntentError``): the handler moves it,
alone, to the dead-letter queue, where the dashboard shows it (failed instead, SQS FIFO would hand
it out with the intents queued behind it in the account's group, and dead-letter them with it).
Its account's next session rebalances from what is held, so nothing is lost but a session's
trades. Targets the data cannot price become REJECTED orders that say so (rebalance.py). A broker
that executes orders (alpaca) then receives the PENDING ones (submit.py)."""

from __future__ import annotations

from pydantic import ValidationError

from order_service.logic.context import Dependencies
from order_service.logic.rebalance import rebalance
from order_service.logic.submit import submit_orders
from tradeloop_common.models import Order, RebalanceIntent


class PoisonIntentError(ValueError):
    """Not a rebalance intent: nothing to rebalance against, so it goes to the DLQ."""


def handle_intent_message(body: str, deps: Dependencies) -> list[Order]:
    try:
        intent = RebalanceIntent.model_validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise PoisonIntentError(f"invalid rebalance intent: {problems}") from exc
    return submit_orders(intent, rebalance(intent, deps), deps)
