"""Compose the local runtime in one process: Lambda pools, router, poller, scheduler."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

from tradeloop_common.observability import logger
from tradeloop_local.config import admin_aws_env
from tradeloop_local.embedded import StackInfo, function_credentials
from tradeloop_local.fake_market import FakeMarket
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


# Settings a developer or a test may override for every function of the local runtime.
PASSTHROUGH = (
    "TRADELOOP_COMMISSION_BPS",
    "TRADELOOP_SLIPPAGE_BPS",
    "TRADELOOP_REBALANCE_BAND",
    "TRADELOOP_ACCOUNT_ID",
    "TRADELOOP_MODEL_CHECK_SECONDS",
    "TRADELOOP_MAX_BAR_AGE_DAYS",
    "TRADELOOP_MAX_MODEL_AGE_DAYS",
    "TRADELOOP_SIGNAL_SYMBOLS",
    "TRADELOOP_MARKETDATA_PROVIDER",
    "TRADELOOP_MARKETDATA_URL",
    "TRADELOOP_MARKETDATA_PATH",
    "TRADELOOP_MARKETDATA_FEED",
    "TRADELOOP_STOOQ_APIKEY",
    "APCA_API_KEY_ID",
    "APCA_API_SECRET_KEY",
    # The broker: `TRADELOOP_BROKER=alpaca make up` trades through Alpaca's paper endpoint, or the
    # local fake (`python -m tradeloop_local fake-alpaca`, TRADELOOP_ALPACA_URL), with the APCA_* keys.
    "TRADELOOP_BROKER",
    "TRADELOOP_ALPACA_URL",
    "TRADELOOP_ALPACA_SECRET_ARN",
)


def market_env(market: FakeMarket | None) -> dict[str, str]:
    """The market-data function points at the local fake provider, unless the developer named a
    provider URL (TRADELOOP_MARKETDATA_URL) or a CSV path of his own."""
    if market is None or "TRADELOOP_MARKETDATA_URL" in os.environ:
        return {}
    return {"TRADELOOP_MARKETDATA_URL": market.url}


def function_env(info: StackInfo, service: str, market: FakeMarket | None = None) -> dict[str, str]:
    """What the service's handlers run with: the function's Lambda environment and its role's
    credentials, as Lambda would give them (the administrator's where the stack has no role)."""
    env = {**admin_aws_env(info.endpoint_url), **info.environment}
    spec = info.functions.get(service)
    if spec is not None:
        env.update(spec.environment)
        env.update(function_credentials(info.endpoint_url, spec.role_arn, service))
    if service == "marketdata":
        env.update(market_env(market))
        if spec is None:  # the Python bootstrap has no secret: the fake's keys come from the environment
            from tradeloop_local.fake_market import FAKE_KEY_ID, FAKE_SECRET_KEY

            env.update(APCA_API_KEY_ID=FAKE_KEY_ID, APCA_API_SECRET_KEY=FAKE_SECRET_KEY)
    env["AWS_ENDPOINT_URL"] = info.endpoint_url
    env.update({k: os.environ[k] for k in PASSTHROUGH if k in os.environ})
    return env


@dataclass
class LocalRuntime:
    info: StackInfo
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
    # The local stand-in for the market-data providers (tradeloop_local.fake_market).
    market: FakeMarket | None = None

    @property
    def api_url(self) -> str:
        assert self._server is not None
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> LocalRuntime:
        self.market = FakeMarket().start()
        envs = {service: function_env(self.info, service, self.market) for service in available_services()}
        if not self.info.iam_enforced:
            logger.warning(
                "IAM not enforced: the stack has no roles (Python bootstrap); handlers run as the administrator"
            )
        for service, env in envs.items():
            # One market-data instance: it runs once a session (and serves a rare quality request).
            self.pools[service] = LambdaPool(service, env, 1 if service == "marketdata" else self.concurrency)
        for pool in self.pools.values():
            pool.warm()
        self._server = make_server(self.host, self.port, create_app(self.pools), threaded=True)
        thread = threading.Thread(target=self._server.serve_forever, name="router", daemon=True)
        thread.start()
        self._threads.append(thread)
        if "order" in self.pools:
            # The event source mapping polls with the function's own role, as in AWS.
            session = boto3.session.Session(**_session_kwargs(envs["order"]))
            self.poller = QueuePoller(
                session, self.info.endpoint_url, self.info.environment["TRADELOOP_ORDER_QUEUE_URL"], self.pools["order"]
            )
            if self.poll:
                self.poller.start()
        self.scheduler = Scheduler(self.pools, self.schedule_seconds, self.poller).start()
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
        if self.market:
            self.market.stop()


def _session_kwargs(env: dict[str, str]) -> dict[str, Any]:
    return {
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": env.get("AWS_SESSION_TOKEN"),
        "region_name": env["AWS_DEFAULT_REGION"],
    }
