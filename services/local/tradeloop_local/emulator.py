"""The embedded AWS emulator: moto's WSGI app on 127.0.0.1, one request at a time.

Why serialised: moto's TransactWriteItems applies items one by one and, on a failed condition,
restores a deep copy of the tables taken before it started, so two concurrent transactions can
undo each other's writes. Real DynamoDB is atomic per request; a lock around the app gives the
same guarantee here while clients still connect concurrently."""

from __future__ import annotations

import argparse
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

# One line per request from two servers would drown the services' own logs.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


class _SerialApp:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            # Materialise the body inside the lock: moto may build it lazily.
            return list(self._app(environ, start_response))


def build_app() -> _SerialApp:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.server import DomainDispatcherApplication, create_backend_app

    return _SerialApp(DomainDispatcherApplication(create_backend_app))


class Emulator:
    """moto server in a background thread of this process (tests, `tradeloop run`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(host, port, build_app(), threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Emulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve moto (S3, DynamoDB, SQS, IAM, Logs, ...) locally")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("TRADELOOP_EMULATOR_PORT", "4566")))
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, build_app(), threaded=True)
    print(f"emulator listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
