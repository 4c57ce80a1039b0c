"""The embedded stack in one place: the emulator process, the stack provisioned in it, the demo
data, and what the local runtime needs to run each handler as its function.

`make up` (stackctl), the tests (tests/conftest.py), the benches and `make train-and-publish`
all come through here, so they start, provision, seed and reset the same way.

``.tradeloop/stack.json`` (:class:`StackInfo`) holds the emulator URL, the resource names under
the environment variable names of docs/architecture.md, and per service the role and Lambda
environment Terraform gave the function. With a role, the runtime runs the service's handlers
with that role's credentials and the emulator enforces its policy; without (the Python
bootstrap, when Terraform cannot run) it says so and runs them as the administrator.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

from tradeloop_local.config import REPO_ROOT, LocalConfig, admin_aws_env, load_config

Log = Callable[[str], object]


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class FunctionSpec:
    """One service as the stack defines its function: execution role and Lambda environment."""

    role_arn: str
    environment: dict[str, str]


@dataclass(frozen=True)
class StackInfo:
    endpoint_url: str
    environment: dict[str, str]  # resource names, TRADELOOP_* keys
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    provisioned_by: str = "python"

    @property
    def iam_enforced(self) -> bool:
        return bool(self.functions)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> StackInfo:
        data = json.loads(text)
        functions = {k: FunctionSpec(**v) for k, v in data.get("functions", {}).items()}
        return cls(
            endpoint_url=data["endpoint_url"],
            environment=data["environment"],
            functions=functions,
            provisioned_by=data.get("provisioned_by", "python"),
        )


def read_stack(cfg: LocalConfig | None = None) -> StackInfo:
    cfg = cfg or load_config()
    if not cfg.stack_file.exists():
        raise StackError(f"{cfg.stack_file} not found: run `make up` first")
    return StackInfo.from_json(cfg.stack_file.read_text())


def stack_running(cfg: LocalConfig | None = None) -> bool:
    """The stack file exists and its emulator answers."""
    cfg = cfg or load_config()
    try:
        info = read_stack(cfg)
        return requests.get(f"{info.endpoint_url}/_tradeloop/iam", timeout=2).status_code == 200
    except (StackError, requests.RequestException, ValueError, KeyError):
        return False


# The packages whose module-level caches hold what depends on the stack: settings, boto3 clients,
# stores, the services' Dependencies (and a few file-backed facts, cheap to read again).
CACHED_PACKAGES = (
    "tradeloop_common",
    "order_service",
    "signal_service",
    "portfolio_service",
    "marketdata_service",
    "dashboard",
)


_CACHE_TYPE = type(functools.lru_cache(lambda: None))


def reset_caches() -> None:
    """Forget every cached setting, client, store and dependency set in this process (it switched
    stacks): every ``functools`` cache defined at the top of a loaded module of CACHED_PACKAGES.
    Found, not listed, so a cached factory added later is reset without anyone adding it here."""
    for name, module in list(sys.modules.items()):
        if module is None or name.partition(".")[0] not in CACHED_PACKAGES:
            continue
        for value in list(vars(module).values()):
            # type(), not getattr/isinstance: a module may hold proxies (flask.request) that raise on access
            if type(value) is _CACHE_TYPE and value.__module__ == name:
                value.cache_clear()


def use_admin(endpoint_url: str) -> None:
    """Point this process's AWS clients at the emulator, as its administrator."""
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(admin_aws_env(endpoint_url))
    reset_caches()


# ---- the emulator process -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


STACK_MARK = "TRADELOOP_STACK_MARK"


def stack_mark(state_dir: Path) -> str:
    """The value every process of a stack carries in its environment (STACK_MARK), so `make down`
    can tell its own processes (and their orphaned children) from anyone else's."""
    return str(state_dir.resolve())


def spawn_emulator(
    port: int,
    log: Path,
    *,
    detach: bool = False,
    cwd: Path | None = None,
    enforce_iam: bool = True,
    state_dir: Path | None = None,
    mark: str | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m tradeloop_local emulator` in its own process: moto's backends are global to a
    process, so every stack gets one. detach: its own session (`make up` stops the group).
    state_dir: keep the state there and restore it (tradeloop_local.persistence)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab")  # noqa: SIM115 - the child owns it
    args = [sys.executable, "-m", "tradeloop_local", "emulator", "--port", str(port)]
    if not enforce_iam:
        args.append("--no-iam")
    if state_dir is not None:
        args += ["--state-dir", str(state_dir)]
    env = {
        **os.environ,
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
        # Replay must rebuild the same state: no per-process hash seed in what moto iterates.
        "PYTHONHASHSEED": "0",
    }
    if mark:
        env[STACK_MARK] = mark
    return subprocess.Popen(
        args,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=detach,
        cwd=cwd or REPO_ROOT,
    )


def emulator_state(endpoint_url: str) -> dict[str, Any]:
    """What the emulator keeps and what its start restored (GET /_tradeloop/state)."""
    r = requests.get(f"{endpoint_url}/_tradeloop/state", timeout=10)
    r.raise_for_status()
    return dict(r.json())


def snapshot_emulator(endpoint_url: str, into: Path | None = None) -> dict[str, Any]:
    """Compact the emulator's journal now, or write a copy of its whole state into ``into``."""
    body = {"path": str(into.resolve())} if into else {}
    r = requests.post(f"{endpoint_url}/_tradeloop/snapshot", json=body, timeout=120)
    if r.status_code != 200:
        raise StackError(f"snapshot failed: {r.status_code} {r.text[:300]}")
    return dict(r.json())


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{url}: the process exited with {proc.returncode}; see {log}:\n{tail(log)}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise StackError(f"{url} did not answer within {timeout:.0f}s; see {log}:\n{tail(log)}")


def tail(log: Path | None, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log and log.exists() else ""


# ---- provisioning -------------------------------------------------------------------------------


def provision_and_seed(endpoint_url: str, cfg: LocalConfig, fresh: bool = False, log: Log = print) -> StackInfo:
    """Create the resources (Terraform, or the boto3 bootstrap: tfstack.provision), seed the
    sample bars (and the account where Terraform did not open it), write the stack file.

    fresh: the emulator holds nothing (first start, or after `make reset`). Otherwise it holds a
    stack already: only bars that are missing are seeded, so data written since is never replaced."""
    from tradeloop_local.seed import seed_account, seed_bars, seed_marketdata_secret
    from tradeloop_local.tfstack import provision

    use_admin(endpoint_url)
    info = provision(endpoint_url, cfg, fresh=fresh, log=log)
    os.environ.update(info.environment)
    reset_caches()
    seed_bars(only_missing=not fresh)
    seed_account()  # a no-op where Terraform opened it
    marketdata = info.functions.get("marketdata")
    seed_marketdata_secret(marketdata.environment.get("TRADELOOP_MARKETDATA_SECRET_ARN") if marketdata else None)
    if not info.iam_enforced:
        log("IAM: NOT enforced (the Python bootstrap creates no roles); handlers run as the administrator")
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    cfg.stack_file.write_text(info.to_json())
    return info


@dataclass
class EmbeddedStack:
    """An emulator process with the stack provisioned and seeded (tests, benches)."""

    info: StackInfo
    process: subprocess.Popen[bytes]
    state_dir: Path

    @property
    def endpoint_url(self) -> str:
        return self.info.endpoint_url

    def stop(self) -> None:
        _terminate(self.process)


def _terminate(proc: subprocess.Popen[bytes], wait: float = 30) -> None:
    """SIGTERM (an emulator keeping state writes its last snapshot), SIGKILL after ``wait``."""
    proc.terminate()
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running_emulator(
    log: Path, state_dir: Path | None = None, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """An emulator process for the duration (tests, benches): its URL and process."""
    port = port or free_port()
    proc = spawn_emulator(port, log, state_dir=state_dir)
    try:
        wait_http(f"http://127.0.0.1:{port}/_tradeloop/iam", 60, proc, log)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        _terminate(proc)


@contextmanager
def embedded_stack(state_dir: Path, log: Log = print, persistent: bool = True) -> Iterator[EmbeddedStack]:
    """A fresh emulator on a free port, the stack in it (Terraform when it can run, as `make up`),
    this process pointed at it as the administrator. The environment is restored afterwards.

    persistent: the emulator keeps its state in ``state_dir/emulator`` as `make up`'s does, so the
    stack can be cloned (:func:`clone_stack`) instead of provisioned again."""
    saved = dict(os.environ)
    port = free_port()
    os.environ.update(TRADELOOP_STATE_DIR=str(state_dir), TRADELOOP_EMULATOR_PORT=str(port))
    cfg = load_config()
    kept = cfg.emulator_state_dir if persistent else None
    try:
        with running_emulator(state_dir / "logs" / "emulator.log", kept, port) as (url, proc):
            yield EmbeddedStack(provision_and_seed(url, cfg, fresh=True, log=log), proc, state_dir)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_caches()


def clone_stack(info: StackInfo, target: LocalConfig) -> StackInfo:
    """Copy a running stack's whole state (its emulator's snapshot and the stack file, every URL
    moved to ``target``'s emulator port) into ``target``'s state directory: `make up` there starts
    from it, as after a `make down`, instead of provisioning (a second instead of a minute of
    Terraform; the tests use it)."""
    snapshot_emulator(info.endpoint_url, target.emulator_state_dir)
    text = info.to_json().replace(info.endpoint_url, target.emulator_url)
    target.state_dir.mkdir(parents=True, exist_ok=True)
    target.stack_file.write_text(text)
    return StackInfo.from_json(text)


def admin_client(endpoint_url: str, service: str, config: Any = None) -> Any:
    """A boto3 client for the emulator at ``endpoint_url``, signed as its administrator."""
    import boto3

    env = admin_aws_env(endpoint_url)
    session = boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    return session.client(service, endpoint_url=endpoint_url, config=config)


QUEUE_DEPTH = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def queue_depth(sqs: Any, queue_url: str) -> int:
    """Messages in a queue: visible, in flight and delayed."""
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=list(QUEUE_DEPTH))["Attributes"]
    return sum(int(attrs.get(name, 0)) for name in QUEUE_DEPTH)


def inventory(endpoint_url: str) -> dict[str, dict[str, int]]:
    """What the emulator holds, as the administrator sees it: items per table, objects (every
    version and delete marker) per bucket, messages per queue (visible, in flight, delayed)."""
    ddb, s3, sqs = (admin_client(endpoint_url, service) for service in ("dynamodb", "s3", "sqs"))
    tables = {
        t: sum(p["Count"] for p in ddb.get_paginator("scan").paginate(TableName=t, Select="COUNT"))
        for t in ddb.list_tables()["TableNames"]
    }
    buckets = {
        bucket["Name"]: sum(
            len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket["Name"])
        )
        for bucket in s3.list_buckets().get("Buckets", [])
    }
    queues = {url.rsplit("/", 1)[-1]: queue_depth(sqs, url) for url in sqs.list_queues().get("QueueUrls", [])}
    return {"tables": tables, "buckets": buckets, "queues": queues}


# ---- a function's credentials ---------------------------------------------------------------------


def function_credentials(endpoint_url: str, role_arn: str, service: str) -> dict[str, str]:
    """The role's credentials, as the Lambda service obtains them before running the function."""
    r = requests.post(
        f"{endpoint_url}/_tradeloop/lambda-credentials",
        json={"role_arn": role_arn, "session_name": f"tradeloop-{service}"},
        timeout=30,
    )
    if r.status_code != 200:
        raise StackError(f"no credentials for {service}'s role {role_arn}: {r.status_code} {r.text[:300]}")
    return {str(k): str(v) for k, v in r.json().items()}
