"""The embedded AWS emulator: moto's WSGI app on 127.0.0.1, one request at a time, IAM enforced.

Why serialised: moto's TransactWriteItems applies items one by one and, on a failed condition,
restores a deep copy of the tables taken before it started, so two concurrent transactions can
undo each other's writes. Real DynamoDB is atomic per request; a lock around the app gives the
same guarantee here while clients still connect concurrently.

IAM (tradeloop_local.emulator_iam): every request is authenticated and authorised, the
operator's tools as the emulator's administrator, each Lambda handler as its function's role.
``POST /_tradeloop/lambda-credentials {"role_arn", "session_name"}`` is the Lambda service's
AssumeRole, which the local runtime calls before running a function."""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from tradeloop_local import emulator_iam

# One line per request from two servers would drown the services' own logs.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


CONTROL_PREFIX = "/_tradeloop/"


class _SerialApp:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
                return self._control(environ, start_response)
            # Materialise the body inside the lock: moto may build it lazily.
            return list(self._app(environ, start_response))

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ["PATH_INFO"][len(CONTROL_PREFIX) :]
        status, body = "404 Not Found", {"error": f"no control route {path!r}"}
        if path == "iam" and environ["REQUEST_METHOD"] == "GET":
            status, body = "200 OK", {"enforcing": emulator_iam.enforcing()}
        elif path == "lambda-credentials" and environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                request = json.loads(environ["wsgi.input"].read(size) or b"{}")
                body = emulator_iam.lambda_credentials(str(request["role_arn"]), str(request["session_name"]))
                status = "200 OK"
            except (KeyError, ValueError, emulator_iam.TrustPolicyError) as exc:
                status, body = "400 Bad Request", {"error": f"{type(exc).__name__}: {exc}"}
            except Exception as exc:  # noqa: BLE001 - e.g. moto's NoSuchEntity for an unknown role
                status, body = "404 Not Found", {"error": f"{type(exc).__name__}: {exc}"}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def build_app(enforce_iam: bool = True) -> _SerialApp:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.server import DomainDispatcherApplication, create_backend_app

    emulator_iam.install(enforce=enforce_iam)
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
    parser.add_argument(
        "--no-iam", action="store_true", help="do not enforce IAM (every request allowed, as plain moto)"
    )
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, build_app(enforce_iam=not args.no_iam), threaded=True)
    print(
        f"emulator listening on http://{args.host}:{args.port} (IAM {'off' if args.no_iam else 'enforced'})", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
