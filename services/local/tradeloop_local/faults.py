"""Fault injection in the embedded emulator: what AWS does to a client now and then, on demand.

The emulator answers a chosen share of the requests to DynamoDB, S3 and SQS the way AWS does when
it is overloaded or failing, so the services' retries, idempotency and atomicity can be tested
under it (`make reliability`):

* ``throttle``: the service's throttling error (DynamoDB ``ThrottlingException``, SQS
  ``RequestThrottled``, S3 503 ``SlowDown``); nothing is applied.
* ``error``: a 500 (``InternalServerError`` / ``InternalError``); nothing is applied.
* ``timeout``: the request **is applied**, then the answer is lost: the connection is held for
  ``timeout_seconds`` and closed without a response. The client cannot tell whether its write
  happened and retries it; this is the case that tests idempotency.

Why here and not in botocore hooks inside the Lambda workers: the emulator sees every client
(each function, the poller standing in for the event source mapping, the CLI) without a line of
theirs changing, keeps working across kills of the runtime, and can lose an answer *after* the
write, which a client-side hook can only imitate.

By default only requests signed with a function role's credentials are hit (``targets="roles"``):
Terraform, seeding and the harness's own checks sign as the emulator's administrator and are left
alone. ``targets="all"`` hits those too (a stack provisioned without roles).
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from tradeloop_local.emulator_iam import ADMIN_ACCESS_KEY_ID
from tradeloop_local.persistence import request_action

KINDS = ("throttle", "error", "timeout")
SERVICES = ("dynamodb", "s3", "sqs")


@dataclass(frozen=True)
class FaultPlan:
    throttle: float = 0.0
    error: float = 0.0
    timeout: float = 0.0
    services: tuple[str, ...] = SERVICES
    targets: str = "roles"
    timeout_seconds: float = 0.3
    seed: int | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultPlan:
        plan = cls(
            throttle=float(data.get("throttle", 0)),
            error=float(data.get("error", 0)),
            timeout=float(data.get("timeout", 0)),
            services=tuple(data.get("services", SERVICES)),
            targets=str(data.get("targets", "roles")),
            timeout_seconds=float(data.get("timeout_seconds", 0.3)),
            seed=None if data.get("seed") is None else int(data["seed"]),
        )
        rates = (plan.throttle, plan.error, plan.timeout)
        if any(not 0 <= r <= 1 for r in rates) or sum(rates) > 1:
            raise ValueError("each rate must lie in [0, 1] and their sum must not exceed 1")
        if plan.targets not in ("roles", "all"):
            raise ValueError("targets must be 'roles' or 'all'")
        if not 0 <= plan.timeout_seconds <= 30:
            raise ValueError("timeout_seconds must lie in [0, 30]")
        return plan

    @property
    def active(self) -> bool:
        return self.throttle + self.error + self.timeout > 0


@dataclass
class FaultInjector:
    plan: FaultPlan = field(default_factory=FaultPlan)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, plan: FaultPlan) -> None:
        """A new plan; the counts start again from zero."""
        with self._lock:
            self.plan = plan
            self._rng = random.Random(plan.seed)
            self.counts.clear()

    def decide(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """(kind, service) of the fault to inject into this request, or None."""
        plan = self.plan
        if not plan.active:
            return None
        auth = environ.get("HTTP_AUTHORIZATION", "") + environ.get("QUERY_STRING", "")
        if plan.targets == "roles" and ADMIN_ACCESS_KEY_ID in auth:
            return None
        service, _ = request_action(environ, b"")
        if service not in plan.services:
            return None
        with self._lock:
            draw = self._rng.random()
        edge = 0.0
        for kind in KINDS:
            edge += getattr(plan, kind)
            if draw < edge:
                with self._lock:
                    self.counts[(service, kind)] += 1
                return kind, service
        return None

    def respond(
        self, kind: str, service: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        """The error answer for a throttle or an error (nothing was applied)."""
        json_protocol = bool(environ.get("HTTP_X_AMZ_TARGET"))
        if service == "dynamodb":
            code = "ThrottlingException" if kind == "throttle" else "InternalServerError"
            return _json(start_response, 400 if kind == "throttle" else 500, f"com.amazonaws.dynamodb.v20120810#{code}")
        if service == "sqs" and json_protocol:
            code = "RequestThrottled" if kind == "throttle" else "InternalError"
            return _json(start_response, 400 if kind == "throttle" else 500, f"com.amazonaws.sqs#{code}")
        if service == "s3":
            code, status = ("SlowDown", 503) if kind == "throttle" else ("InternalError", 500)
            return _xml(start_response, status, f"<Error><Code>{code}</Code><Message>injected</Message></Error>")
        code = "Throttling" if kind == "throttle" else "InternalFailure"
        body = (
            f"<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>"
            "<Message>injected</Message></Error></ErrorResponse>"
        )
        return _xml(start_response, 400 if kind == "throttle" else 500, body)

    def lose_answer(self, environ: dict[str, Any]) -> None:
        """The request was applied; hold the connection, then close it without an answer."""
        time.sleep(self.plan.timeout_seconds)
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # werkzeug treats a ConnectionError as a client that went away: no 500 is written.
        raise ConnectionAbortedError("injected timeout: answer dropped")

    def status(self) -> dict[str, Any]:
        injected: dict[str, dict[str, int]] = {}
        for (service, kind), n in sorted(self.counts.items()):
            injected.setdefault(service, {})[kind] = n
        return {"plan": asdict(self.plan), "injected": injected, "total": sum(self.counts.values())}


def _json(start_response: Callable[..., Any], status: int, error_type: str) -> list[bytes]:
    body = json.dumps({"__type": error_type, "message": "injected by tradeloop fault injection"}).encode()
    start_response(
        f"{status} {'Bad Request' if status == 400 else 'Internal Server Error'}",
        [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _xml(start_response: Callable[..., Any], status: int, text: str) -> list[bytes]:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n{text}'.encode()
    reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Slow Down"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]
