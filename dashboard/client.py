"""The dashboard's only way to the outside: the tradeloop HTTP API.

Locally this is plain HTTP to ``TRADELOOP_API_URL``. In AWS (``TRADELOOP_API_SIGV4=true``) every
request is signed with SigV4 for ``execute-api`` using the task role's botocore credentials.

Every failure becomes an :class:`ApiError` whose ``message`` says what happened and whose ``hint``
says what to run, so a page can show it as is: no page ever sees a ``requests`` exception."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any

import requests

from dashboard.config import DashboardSettings, get_settings

HINT_START_STACK = "Start the local stack with `make up` (or `make demo`), or point TRADELOOP_API_URL at a running API."
HINT_NO_SIGNALS = "No signals yet: run `make train-and-publish`, then `make signals` (or press “Run signals now”)."
HINT_NO_MODEL = "No model yet: run `make train-and-publish`."
HINT_NO_QUALITY = (
    "No quality report yet: run the daily pipeline (`make pipeline SESSION=YYYY-MM-DD`) or `python -m ml ingest`."
)
HINT_AUTH = "The API refused the request: in AWS set TRADELOOP_API_SIGV4=true and allow execute-api:Invoke."
SLOW_CALL_SECONDS = 1.0
NO_CREDENTIALS = "no_credentials"  # an ApiError raised before sending: nothing to sign with
log = logging.getLogger("tradeloop.dashboard.client")
# The signal service answers 404 before a model exists, and may be missing (503/502) or broken (500).
SIGNAL_SERVICE_DOWN = frozenset({404, 500, 502, 503, 504})


class ApiError(Exception):
    """A failed API call, in words a trader can act on."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        status: int | None = None,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.status = status
        self.code = code
        self.details = details or []

    @property
    def unreachable(self) -> bool:
        return self.status is None

    @property
    def text(self) -> str:
        return f"{self.message}. {self.hint}" if self.hint else self.message

    def __str__(self) -> str:
        return self.text


def _error_from_response(resp: requests.Response, method: str, path: str) -> ApiError:
    status = resp.status_code
    code: str | None = None
    message: str | None = None
    details: list[dict[str, Any]] = []
    try:
        body = resp.json()
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            code, message, details = err.get("code"), err.get("message"), err.get("details") or []
        elif isinstance(body, dict) and isinstance(body.get("message"), str):  # API Gateway's own errors
            message = body["message"]
    except ValueError:
        pass
    message = message or f"{method} {path} answered HTTP {status}"
    fixes = [
        str(d.get("fix") or d.get("issue")) for d in details if isinstance(d, dict) and (d.get("fix") or d.get("issue"))
    ]
    if fixes:
        message = f"{message} ({'; '.join(fixes)})"
    hint = HINT_AUTH if status in (401, 403) else None
    if status >= 500 and hint is None and code is None:
        hint = "The API failed; see the API logs (.tradeloop/logs/runtime.log locally)."
    return ApiError(message, hint=hint, status=status, code=code, details=details)


class ApiClient:
    """Thin JSON client; one ``requests.Session`` per thread (gunicorn runs several)."""

    def __init__(self, settings: DashboardSettings | None = None, session_factory: Any = requests.Session) -> None:
        self.settings = settings or get_settings()
        self.base_url = self.settings.api_url.rstrip("/")
        self._session_factory = session_factory
        self._local = threading.local()
        self._credentials: Any = None

    # ----------------------------------------------------------------------- transport

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._session_factory()
        return session

    def _sign(self, prepared: requests.PreparedRequest) -> None:
        """SigV4 for API Gateway (service ``execute-api``) with the task role's credentials."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.session import Session

        if self._credentials is None:
            session = Session()
            self._credentials = session.get_credentials()
            self._region = self.settings.aws_region or session.get_config_variable("region")
        if self._credentials is None or not self._region:
            raise ApiError(
                "TRADELOOP_API_SIGV4 is on but no AWS credentials or region were found",
                hint="Give the task an IAM role and set AWS_REGION.",
                code=NO_CREDENTIALS,
            )
        headers = {k: v for k, v in prepared.headers.items() if k.lower() in ("content-type", "host")}
        aws_request = AWSRequest(method=prepared.method, url=prepared.url, data=prepared.body or b"", headers=headers)
        SigV4Auth(self._credentials, "execute-api", self._region).add_auth(aws_request)
        for name, value in aws_request.headers.items():
            prepared.headers[name] = value

    def request(self, method: str, path: str, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        url = f"{self.base_url}{path}"
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        data = json.dumps(body) if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        prepared = requests.Request(method, url, params=clean, data=data, headers=headers).prepare()
        if self.settings.api_sigv4:
            self._sign(prepared)
        started = time.perf_counter()
        try:
            resp = self._session().send(prepared, timeout=self.settings.api_timeout)
        except requests.Timeout:
            raise ApiError(
                f"The tradeloop API at {self.base_url} did not answer within {self.settings.api_timeout:.0f} s",
                hint=HINT_START_STACK,
            ) from None
        except requests.RequestException:
            raise ApiError(f"The tradeloop API at {self.base_url} is not reachable", hint=HINT_START_STACK) from None
        took = time.perf_counter() - started
        if took > SLOW_CALL_SECONDS:
            log.info("slow API call: %s %s -> %s in %.2f s", method, path, resp.status_code, took)
        if resp.status_code >= 400:
            raise _error_from_response(resp, method, path)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise ApiError(
                f"{method} {path} answered something that is not JSON (HTTP {resp.status_code})",
                hint="Check that TRADELOOP_API_URL points at the tradeloop API.",
                status=resp.status_code,
            ) from None

    # ----------------------------------------------------------------------- portfolio

    def health(self) -> dict[str, Any]:
        return self.request("GET", "/health")

    def portfolio(self) -> dict[str, Any]:
        return self.request("GET", "/portfolio")

    def history(self, start: str | None = None, end: str | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        return list(self.history_with_benchmark(start, end, limit).get("snapshots") or [])

    def history_with_benchmark(
        self, start: str | None = None, end: str | None = None, limit: int = 5000
    ) -> dict[str, Any]:
        """``{"snapshots": [...], "benchmark": {"symbols", "points"} | None}`` (buy-and-hold, same dates)."""
        data = self.request("GET", "/portfolio/history", params={"from": start, "to": end, "limit": limit})
        return data if isinstance(data, dict) else {}

    # ----------------------------------------------------------------------- orders

    def orders(
        self, symbol: str | None = None, status: str | None = None, max_orders: int = 2000, page_size: int = 500
    ) -> list[dict[str, Any]]:
        """Newest first, following ``next_token`` up to ``max_orders``."""
        out: list[dict[str, Any]] = []
        token: str | None = None
        while len(out) < max_orders:
            params = {
                "symbol": symbol,
                "status": status,
                "limit": min(page_size, max_orders - len(out)),
                "next_token": token,
            }
            page = self.request("GET", "/orders", params=params) or {}
            out.extend(page.get("orders") or [])
            token = page.get("next_token")
            if not token:
                break
        return out

    def create_order(
        self,
        symbol: str,
        side: str,
        quantity: int,
        client_order_id: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "client_order_id": client_order_id or new_client_order_id(),
            "symbol": symbol,
            "side": side,
            "quantity": quantity,
            "type": "market",
        }
        return self.request("POST", "/orders", body=body)

    def controls(self) -> dict[str, Any]:
        return self.request("GET", "/controls")

    def controls_history(self, limit: int = 50) -> list[dict[str, Any]]:
        """Changes of the controls, newest first (who, when, old, new, why)."""
        data = self.request("GET", "/controls/history", params={"limit": limit}) or {}
        return list(data.get("changes") or [])

    def update_controls(
        self, trading_state: str | None = None, limits: dict[str, Any] | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if trading_state:
            body["trading_state"] = trading_state
        if limits:
            body["limits"] = limits
        if reason:
            body["reason"] = reason
        return self.request("PUT", "/controls", body=body)

    # ----------------------------------------------------------------------- signals and model

    def _signal_call(self, method: str, path: str, hint: str, **kw: Any) -> Any:
        try:
            return self.request(method, path, **kw)
        except ApiError as exc:
            if exc.status in SIGNAL_SERVICE_DOWN:
                exc.hint = hint
            raise

    def signals(self, symbol: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        data = self._signal_call("GET", "/signals", HINT_NO_SIGNALS, params={"symbol": symbol, "limit": limit})
        if isinstance(data, dict):
            data = data.get("signals") or data.get("items") or []
        return list(data or [])

    def run_signals(self, symbols: list[str] | None = None) -> Any:
        body: dict[str, Any] = {"symbols": symbols} if symbols else {}
        return self._signal_call("POST", "/signals/run", HINT_NO_SIGNALS, body=body)

    def current_model(self) -> dict[str, Any]:
        return self._signal_call("GET", "/models/current", HINT_NO_MODEL) or {}

    def model_health(self, limit: int = 60) -> dict[str, Any]:
        """The live model's feature drift and decay, one record per signal run, newest first."""
        return self._signal_call("GET", "/models/health", HINT_NO_MODEL, params={"limit": limit}) or {}

    # ----------------------------------------------------------------------------- market data

    def data_quality(self, symbol: str | None = None) -> dict[str, Any]:
        """The latest ingest's quality report (GET /marketdata/quality)."""
        return self._signal_call("GET", "/marketdata/quality", HINT_NO_QUALITY, params={"symbol": symbol}) or {}


def new_client_order_id() -> str:
    """A fresh idempotency key for a manual ticket (pattern ``^[A-Za-z0-9_\\-:.]{1,64}$``)."""
    return f"dash-{uuid.uuid4().hex}"


_client: ApiClient | None = None
_client_lock = threading.Lock()


def get_client() -> ApiClient:
    global _client
    with _client_lock:
        if _client is None:
            _client = ApiClient()
        return _client
