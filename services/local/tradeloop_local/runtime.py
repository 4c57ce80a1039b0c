"""Compose the local runtime in one process: Lambda pools, router, poller, scheduler."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

from tradeloop_local.config import dummy_aws_env
from tradeloop_local.lambda_pool import SERVICE_HANDLERS, LambdaPool
from tradeloop_local.poller import QueuePoller
from tradeloop_local.router import create_app
from tradeloop_local.scheduler import Scheduler

logging.getLogger("werkzeug").setLevel(logging.WARNING)


def available_services() -> list[str]:
    """Services whose package is importable here (the signal service needs the ML extras)."""
    import importlib.util

    found = []
    for service, path in SERVICE_HANDLERS.items():
        try:
            if importlib.util.find_spec(path.rpartition(".")[0]) is not None:
                found.append(service)
        except ModuleNotFoundError:
            continue
    return found


def function_env(stack: dict[str, str], endpoint_url: str) -> dict[str, str]:
    env = {**dummy_aws_env(endpoint_url), **stack}
    for passthrough in (
        "TRADELOOP_COMMISSION_BPS",
        "TRADELOOP_SLIPPAGE_BPS",
        "TRADELOOP_ACCOUNT_ID",
        "TRADELOOP_MODEL_CHECK_SECONDS",
        "TRADELOOP_MAX_BAR_AGE_DAYS",
        "TRADELOOP_MAX_MODEL_AGE_DAYS",
        "TRADELOOP_SIGNAL_SYMBOLS",
    ):
        if passthrough in os.environ:
            env[passthrough] = os.environ[passthrough]
    return env


@dataclass
class LocalRuntime:
    stack: dict[str, str]
    endpoint_url: str
    host: str = "127.0.0.1"
    port: int = 0
    concurrency: int = 2
    schedule_seconds: float = 0
    poll: bool = True
    pools: dict[str, LambdaPool] = field(default_factory=dict)
    _server: BaseWSGIServer | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    poller: QueuePoller | None = None
    scheduler: Scheduler | None = None

    @property
    def api_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalRuntime:
        env = function_env(self.stack, self.endpoint_url)
        for service in available_services():
            self.pools[service] = LambdaPool(service, env, self.concurrency)
        for pool in self.pools.values():
            pool.warm()
        self._server = make_server(self.host, self.port, create_app(self.pools), threaded=True)
        thread = threading.Thread(target=self._server.serve_forever, name="router", daemon=True)
        thread.start()
        self._threads.append(thread)
        session = boto3.session.Session(**_session_kwargs(env))
        if "order" in self.pools:
            self.poller = QueuePoller(
                session, self.endpoint_url, self.stack["TRADELOOP_ORDER_QUEUE_URL"], self.pools["order"]
            )
            if self.poll:
                self.poller.start()
        self.scheduler = Scheduler(self.pools, self.schedule_seconds).start()
        return self

    def stop(self) -> None:
        if self.scheduler:
            self.scheduler.stop()
        if self.poller:
            self.poller.stop()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        for pool in self.pools.values():
            pool.close()


def _session_kwargs(env: dict[str, str]) -> dict[str, Any]:
    return {
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        "region_name": env["AWS_DEFAULT_REGION"],
    }
