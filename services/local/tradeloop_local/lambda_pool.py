"""Run a service's ``lambda_handler`` the way Lambda does: in separate worker processes, each one a
warm instance handling one event at a time, with the function's environment."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
import threading
import time
import traceback
import uuid
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

SERVICE_HANDLERS = {
    "order": "order_service.main.lambda_handler",
    "portfolio": "portfolio_service.main.lambda_handler",
    "signal": "signal_service.main.lambda_handler",
    "marketdata": "marketdata_service.main.lambda_handler",
}
TIMEOUT_SECONDS = 30
START_GRACE_SECONDS = 5  # an instance's cold start (imports) is not the function's time

_handler: Any = None
_function_name = ""


class LocalLambdaContext:
    """The attributes Powertools reads from a Lambda context."""

    def __init__(self, function_name: str, timeout_s: int = TIMEOUT_SECONDS) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


def _exit_with_parent(parent: int) -> None:
    """A worker whose runtime died (SIGKILL) would otherwise wait on its task queue forever: an
    orphan holding memory and, for `make down`, a process of nobody's."""
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def _init_worker(handler_path: str, env: dict[str, str], function_name: str) -> None:
    global _handler, _function_name
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    os.environ.update(env)
    module, _, attr = handler_path.rpartition(".")
    _handler = getattr(importlib.import_module(module), attr)
    _function_name = function_name


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"ok": True, "result": _handler(event, LocalLambdaContext(_function_name))}
    except Exception as exc:  # the runtime reports a function error; it does not crash the instance
        return {"ok": False, "error": type(exc).__name__, "message": str(exc), "trace": traceback.format_exc()}
    finally:
        _drop_unpublished_metrics()


def _drop_unpublished_metrics() -> None:
    """Powertools with POWERTOOLS_METRICS_DISABLED never clears what a handler added, and prints it
    all at the 100th value (an EMF blob in the middle of `make reliability`'s output)."""
    observability = sys.modules.get("tradeloop_common.observability")
    if observability is not None and os.environ.get("POWERTOOLS_METRICS_DISABLED") == "true":
        observability.metrics.clear_metrics()


class FunctionError(RuntimeError):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(f"{payload['error']}: {payload['message']}")
        self.payload = payload


class LambdaPool:
    def __init__(self, service: str, env: dict[str, str], concurrency: int = 2, handler: str | None = None) -> None:
        self.service = service
        self._handler_path = handler or SERVICE_HANDLERS[service]
        self._env = {
            **env,
            "POWERTOOLS_SERVICE_NAME": service,
            "POWERTOOLS_METRICS_NAMESPACE": "tradeloop",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "AWS_LAMBDA_FUNCTION_NAME": f"tradeloop-{service}",
        }
        self._concurrency = concurrency
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._concurrency,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self._handler_path, self._env, f"tradeloop-{self.service}"),
        )

    def warm(self) -> None:
        """Start every instance now rather than on the first requests."""
        futures = [self._executor.submit(_noop) for _ in range(self._concurrency)]
        for f in futures:
            f.result(timeout=120)

    def invoke(self, event: dict[str, Any], timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
        try:
            payload = self._executor.submit(_invoke, event).result(timeout=timeout + START_GRACE_SECONDS)
        except BrokenProcessPool:
            # An instance died (e.g. killed): Lambda would start a fresh one.
            self._executor = self._new_executor()
            raise
        except FuturesTimeout:
            # Lambda ends a timed-out invocation with its instance. One left running here kept
            # writing beside the retry of its own batch (an SQS batch is redelivered after a
            # function error), which no AWS deployment can do. The pool's other instances go too.
            self._stop_instances()
            raise FunctionError(
                {"error": "TaskTimedOut", "message": f"the invocation timed out after {timeout:g} s", "trace": ""}
            ) from None
        if not payload["ok"]:
            raise FunctionError(payload)
        return payload["result"]

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _stop_instances(self) -> None:
        executor, self._executor = self._executor, self._new_executor()
        for process in list(getattr(executor, "_processes", {}).values()):  # no public way to end a running task
            process.kill()
        executor.shutdown(wait=False, cancel_futures=True)


def _noop() -> None:
    time.sleep(0.05)
