"""The embedded AWS emulator: moto's WSGI app on 127.0.0.1, one request at a time, IAM enforced,
its state kept on disk.

Why serialised: moto's TransactWriteItems applies items one by one and, on a failed condition,
restores a deep copy of the tables taken before it started, so two concurrent transactions can
undo each other's writes. Real DynamoDB is atomic per request; a lock around the app gives the
same guarantee here while clients still connect concurrently. It also gives the journal its order.

IAM (tradeloop_local.emulator_iam): every request is authenticated and authorised, the
operator's tools as the emulator's administrator, each Lambda handler as its function's role.

State (tradeloop_local.persistence): with ``--state-dir`` every change is journaled and fsync'd
before it is answered, snapshots compact the journal, and a restart (after `make down` or a
SIGKILL) restores everything, role credentials and in-flight SQS messages included.

Control routes (``/_tradeloop/...``, JSON):
``POST lambda-credentials {"role_arn", "session_name"}``: the Lambda service's AssumeRole, which
the local runtime calls before running a function; ``GET iam``; ``GET state``: what is kept and
what the last start restored; ``POST snapshot {"path"?}``: compact now, or write a copy of the
state into another directory (a stack another emulator can start from); ``GET``/``PUT faults``:
fault injection (tradeloop_local.faults)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from tradeloop_local import emulator_fixes, emulator_iam
from tradeloop_local.faults import FaultInjector, FaultPlan
from tradeloop_local.persistence import StateStore

# One line per request from two servers would drown the services' own logs.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


CONTROL_PREFIX = "/_tradeloop/"
LAMBDA_CREDENTIALS = CONTROL_PREFIX + "lambda-credentials"


class _SerialApp:
    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        store: StateStore | None = None,
        faults: FaultInjector | None = None,
    ) -> None:
        self._app = app
        self.lock = threading.Lock()
        self.store = store
        self.faults = faults or FaultInjector()
        self._closed = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX) and path != LAMBDA_CREDENTIALS:
            with self.lock:
                return self._control(environ, start_response)
        fault = None if path.startswith(CONTROL_PREFIX) else self.faults.decide(environ)
        if fault is not None and fault[0] != "timeout":
            return self.faults.respond(fault[0], fault[1], environ, start_response)
        with self.lock:
            if self.store is not None:
                out = self.store.handle(self.dispatch, environ, start_response)
            else:
                # Materialise the body inside the lock: moto may build it lazily.
                out = list(self.dispatch(environ, start_response))
        if fault is not None:
            self.faults.lose_answer(environ)  # applied, then the answer is lost
        return out

    def dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """One request that may change state (moto's, or the Lambda service's AssumeRole), without
        the lock: what the journal records and replays."""
        if environ.get("PATH_INFO") == LAMBDA_CREDENTIALS:
            return self._lambda_credentials(environ, start_response)
        return self._app(environ, start_response)

    def _lambda_credentials(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            request = _read_json(environ)
            body = emulator_iam.lambda_credentials(str(request["role_arn"]), str(request["session_name"]))
            return _json(start_response, "200 OK", body)
        except (KeyError, ValueError, emulator_iam.TrustPolicyError) as exc:
            return _json(start_response, "400 Bad Request", {"error": f"{type(exc).__name__}: {exc}"})
        except Exception as exc:  # noqa: BLE001 - e.g. moto's NoSuchEntity for an unknown role
            return _json(start_response, "404 Not Found", {"error": f"{type(exc).__name__}: {exc}"})

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ["PATH_INFO"][len(CONTROL_PREFIX) :]
        method = environ["REQUEST_METHOD"]
        status = "404 Not Found"
        body: dict[str, Any] = {"error": f"no control route {method} {path!r}"}
        try:
            request = _read_json(environ) if method in ("POST", "PUT") else {}
            if path == "iam" and method == "GET":
                status, body = "200 OK", {"enforcing": emulator_iam.enforcing()}
            elif path == "state" and method == "GET":
                status, body = (
                    "200 OK",
                    {"persistent": self.store is not None, **(self.store.status() if self.store else {})},
                )
            elif path == "snapshot" and method == "POST":
                status, body = self._snapshot(request)
            elif path == "faults" and method == "GET":
                status, body = "200 OK", self.faults.status()
            elif path == "faults" and method == "PUT":
                self.faults.configure(FaultPlan.from_json(request))
                status, body = "200 OK", self.faults.status()
        except (ValueError, TypeError) as exc:
            status, body = "400 Bad Request", {"error": f"{type(exc).__name__}: {exc}"}
        return _json(start_response, status, body)

    def _snapshot(self, request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if self.store is None:
            return "409 Conflict", {"error": "this emulator keeps no state (started without --state-dir)"}
        target = request.get("path")
        if target is not None and not Path(str(target)).is_absolute():
            raise ValueError("path must be an absolute directory")
        return "200 OK", self.store.snapshot(Path(str(target)) if target else None)

    def compact_when_idle(self, idle_seconds: float = 2.0, min_records: int = 100) -> threading.Thread:
        """Snapshot in a pause of the changes rather than in the middle of a burst (the journal's
        hard limit still applies): a restart then replays few records. Reads (the poller's empty
        receives, four a second) do not count as traffic."""

        def run() -> None:
            while not self._closed.wait(1.0):
                store = self.store
                if store is None or store.journal is None or store.seq - store.snapshot_seq < min_records:
                    continue
                if time.monotonic() - store.last_append < idle_seconds:
                    continue
                with self.lock:
                    if store.journal is not None and store.seq - store.snapshot_seq >= min_records:
                        store.snapshot()

        thread = threading.Thread(target=run, name="compactor", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Stop keeping state: a last snapshot, so the next start replays nothing."""
        self._closed.set()
        with self.lock:
            if self.store is not None:
                self.store.close(snapshot=True)


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    size = int(environ.get("CONTENT_LENGTH") or 0)
    data = json.loads(environ["wsgi.input"].read(size) or b"{}")
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _json(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def build_app(
    enforce_iam: bool = True, state_dir: Path | None = None, log: Callable[[str], object] = print
) -> _SerialApp:
    """moto's app with IAM enforced; with ``state_dir``, its state restored from there and every
    change journaled to it (tradeloop_local.persistence)."""
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.server import DomainDispatcherApplication, create_backend_app

    emulator_iam.install(enforce=enforce_iam)
    emulator_fixes.install()
    store = None
    if state_dir is not None:
        store = StateStore(
            state_dir,
            snapshot_work_seconds=float(os.environ.get("TRADELOOP_EMULATOR_SNAPSHOT_SECONDS", "3")),
            snapshot_every=int(os.environ.get("TRADELOOP_EMULATOR_SNAPSHOT_EVERY", "1000")),
            fsync=os.environ.get("TRADELOOP_EMULATOR_FSYNC", "1") != "0",
        )
    app = _SerialApp(DomainDispatcherApplication(create_backend_app), store)
    if store is not None:
        report = store.restore(app.dispatch)
        if report.restored:
            log(
                f"state restored from {state_dir}: snapshot at record {report.snapshot_seq}, "
                f"{report.replayed} journal records replayed in {report.seconds:.2f}s"
                + (f", a torn last record dropped ({report.torn_bytes} bytes)" if report.torn_bytes else "")
                + (f", {report.divergent} DIVERGENT" if report.divergent else "")
            )
            for line in report.divergences:
                log(f"  replayed differently: {line}")
        else:
            log(f"state: none yet in {state_dir}; every change from now on is kept there")
    return app


class Emulator:
    """moto server in a background thread of this process (tests, `tradeloop run`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state_dir: Path | None = None) -> None:
        self.app = build_app(state_dir=state_dir, log=lambda _m: None)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> Emulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.app.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve moto (S3, DynamoDB, SQS, IAM, Logs, ...) locally")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("TRADELOOP_EMULATOR_PORT", "4566")))
    parser.add_argument(
        "--no-iam", action="store_true", help="do not enforce IAM (every request allowed, as plain moto)"
    )
    parser.add_argument(
        "--state-dir", type=Path, help="keep the state here (journal + snapshots) and restore it at start"
    )
    args = parser.parse_args(argv)
    app = build_app(enforce_iam=not args.no_iam, state_dir=args.state_dir, log=lambda m: print(m, flush=True))
    server = make_server(args.host, args.port, app, threaded=True)
    stop = threading.Event()
    # SIGTERM (`make down`) stops cleanly: a last snapshot. A SIGKILL loses nothing either: every
    # answered change is in the journal already.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="emulator", daemon=True)
    thread.start()
    if app.store is not None:
        app.compact_when_idle()
    kept = f"state in {args.state_dir}" if args.state_dir else "state in memory only"
    print(
        f"emulator listening on http://{args.host}:{args.port} (IAM {'off' if args.no_iam else 'enforced'}; {kept})",
        flush=True,
    )
    stop.wait()
    server.shutdown()
    server.server_close()
    app.close()
    print("emulator stopped", flush=True)


if __name__ == "__main__":
    main()
