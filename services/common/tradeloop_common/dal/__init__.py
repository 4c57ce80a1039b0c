"""Data-access layer: the only code in the services that talks to AWS APIs.

Each store is built once per process by a cached factory; a process that switches stacks (tests,
benches, tools) forgets them all with ``tradeloop_local.embedded.reset_caches``."""
