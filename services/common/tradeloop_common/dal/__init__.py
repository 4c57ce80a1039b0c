"""Data-access layer: the only code in the services that talks to AWS APIs."""

from __future__ import annotations


def reset_caches() -> None:
    """Forget the process's settings, clients and stores (a test or tool that switched stacks)."""
    from tradeloop_common.dal import aws, controls, queue, registry, signals, snapshots, trading
    from tradeloop_common.settings import get_environment_variables

    get_environment_variables.cache_clear()
    aws.reset_clients()
    for factory in (
        trading.get_trading_store,
        controls.get_controls_store,
        snapshots.get_snapshot_store,
        signals.get_signal_store,
        registry.get_model_store,
        queue.get_intent_queue,
        queue.get_dead_letters,
    ):
        factory.cache_clear()
