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


def reset_caches() -> None:
    """Forget every cached setting, client and store in this process (it switched stacks)."""
    from tradeloop_common.dal import reset_caches as reset_dal

    reset_dal()
    for module in (
        "order_service.logic.dependencies",
        "signal_service.logic.dependencies",
        "marketdata_service.logic.dependencies",
    ):
        if module in sys.modules:
            sys.modules[module].get_dependencies.cache_clear()


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


def spawn_emulator(
    port: int, log: Path, *, detach: bool = False, cwd: Path | None = None, enforce_iam: bool = True
) -> subprocess.Popen[bytes]:
    """`python -m tradeloop_local emulator` in its own process: moto's backends are global to a
    process, so every stack gets one. detach: its own session (`make up` stops the group)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab")  # noqa: SIM115 - the child owns it
    args = [sys.executable, "-m", "tradeloop_local", "emulator", "--port", str(port)]
    if not enforce_iam:
        args.append("--no-iam")
    return subprocess.Popen(
        args,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
        start_new_session=detach,
        cwd=cwd or REPO_ROOT,
    )


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
    sample bars (and the account where Terraform did not open it), write the stack file."""
    from tradeloop_local.seed import seed_account, seed_bars, seed_marketdata_secret
    from tradeloop_local.tfstack import provision

    use_admin(endpoint_url)
    info = provision(endpoint_url, cfg, fresh=fresh, log=log)
    os.environ.update(info.environment)
    reset_caches()
    seed_bars()
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
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def embedded_stack(state_dir: Path, log: Log = print) -> Iterator[EmbeddedStack]:
    """A fresh emulator on a free port, the stack in it (Terraform when it can run, as `make up`),
    this process pointed at it as the administrator. The environment is restored afterwards."""
    saved = dict(os.environ)
    port = free_port()
    os.environ.update(TRADELOOP_STATE_DIR=str(state_dir), TRADELOOP_EMULATOR_PORT=str(port))
    cfg = load_config()
    proc = spawn_emulator(port, state_dir / "logs" / "emulator.log")
    try:
        wait_http(f"{cfg.emulator_url}/_tradeloop/iam", 60, proc, state_dir / "logs" / "emulator.log")
        info = provision_and_seed(cfg.emulator_url, cfg, fresh=True, log=log)
        yield EmbeddedStack(info, proc, state_dir)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        os.environ.clear()
        os.environ.update(saved)
        reset_caches()


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
