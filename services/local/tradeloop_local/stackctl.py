"""Start and stop the embedded stack as background processes (`make up` / `make down`).

Each process runs in its own session, so `down` can stop it with everything it spawned (the
Lambda worker processes) and nothing else; the pids live in .tradeloop/pids.json."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tradeloop_local.config import LocalConfig, dummy_aws_env, load_config


class StackError(RuntimeError):
    pass


def _pids_file(cfg: LocalConfig) -> Path:
    return cfg.state_dir / "pids.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _port_busy(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"{url} process exited with {proc.returncode}; see {log}:\n{_tail(log)}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise StackError(f"{url} did not answer within {timeout:.0f}s; see {log}:\n{_tail(log)}")


def _tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def _spawn(cfg: LocalConfig, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    logs = cfg.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    out = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        args,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
        start_new_session=True,
        cwd=cfg.state_dir.parent,
    )


def read_pids(cfg: LocalConfig) -> dict[str, int]:
    path = _pids_file(cfg)
    return json.loads(path.read_text()) if path.exists() else {}


def read_stack(cfg: LocalConfig) -> dict[str, Any]:
    if not cfg.stack_file.exists():
        raise StackError(f"{cfg.stack_file} not found: run `make up` first")
    return json.loads(cfg.stack_file.read_text())


def bootstrap(endpoint_url: str, cfg: LocalConfig, fresh: bool = False, log=print) -> dict[str, str]:
    """Create resources (Terraform or boto3: tfstack.provision) and seed the demo data; write the
    stack file the runtime reads. fresh: the emulator was just started."""
    from tradeloop_common.dal import aws
    from tradeloop_common.settings import get_environment_variables
    from tradeloop_local.seed import seed_account, seed_bars
    from tradeloop_local.tfstack import provision

    os.environ.update(dummy_aws_env(endpoint_url))
    get_environment_variables.cache_clear()
    aws.reset_clients()
    stack = provision(endpoint_url, cfg, fresh=fresh, log=log)
    os.environ.update(stack)
    get_environment_variables.cache_clear()
    seed_bars()
    seed_account()
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    cfg.stack_file.write_text(json.dumps({"endpoint_url": endpoint_url, "environment": stack}, indent=2))
    return stack


def dashboard_available() -> bool:
    try:
        return importlib.util.find_spec("dashboard.app") is not None
    except ModuleNotFoundError:
        return False


def up(cfg: LocalConfig | None = None, with_dashboard: bool = True, log=print) -> dict[str, str]:
    cfg = cfg or load_config()
    running = {n: p for n, p in read_pids(cfg).items() if _alive(p)}
    if running:
        log(f"already up ({', '.join(running)}); `make down` first to restart")
        return urls(cfg)
    for name, port in (("emulator", cfg.emulator_port), ("API", cfg.api_port), ("dashboard", cfg.dashboard_port)):
        if _port_busy(cfg.host, port):
            raise StackError(
                f"port {port} ({name}) is in use; stop what holds it or set "
                f"TRADELOOP_{'EMULATOR' if name == 'emulator' else name.upper()}_PORT"
            )
    py = sys.executable
    pids: dict[str, int] = {}
    try:
        started = time.monotonic()
        emu = _spawn(
            cfg,
            "emulator",
            [py, "-m", "tradeloop_local", "emulator", "--port", str(cfg.emulator_port)],
            {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
        )
        pids["emulator"] = emu.pid
        _write_pids(cfg, pids)
        _wait_http(f"{cfg.emulator_url}/", 60, emu, cfg.state_dir / "logs" / "emulator.log")
        log(f"emulator  {cfg.emulator_url}  ({time.monotonic() - started:.1f}s)")
        bootstrap(cfg.emulator_url, cfg, fresh=True, log=log)
        log(f"stack     created and seeded ({time.monotonic() - started:.1f}s)")
        rt = _spawn(cfg, "runtime", [py, "-m", "tradeloop_local", "serve"], {})
        pids["runtime"] = rt.pid
        _write_pids(cfg, pids)
        _wait_http(f"{cfg.api_url}/health", 120, rt, cfg.state_dir / "logs" / "runtime.log")
        log(f"API       {cfg.api_url}  ({time.monotonic() - started:.1f}s)")
        if with_dashboard and dashboard_available():
            dash = _spawn(
                cfg,
                "dashboard",
                [
                    py,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"{cfg.host}:{cfg.dashboard_port}",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    # gunicorn 27's control socket lives in ~/.gunicorn, shared by every gunicorn of the user.
                    "--no-control-socket",
                    "dashboard.app:server",
                ],
                {"TRADELOOP_API_URL": cfg.api_url},
            )
            pids["dashboard"] = dash.pid
            _write_pids(cfg, pids)
            _wait_http(f"{cfg.dashboard_url}/", 120, dash, cfg.state_dir / "logs" / "dashboard.log")
            log(f"dashboard {cfg.dashboard_url}  ({time.monotonic() - started:.1f}s)")
    except BaseException:
        down(cfg, log=lambda _m: None)
        raise
    return urls(cfg)


def _write_pids(cfg: LocalConfig, pids: dict[str, int]) -> None:
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    _pids_file(cfg).write_text(json.dumps(pids))


def down(cfg: LocalConfig | None = None, log=print) -> int:
    """Stop exactly what `up` started (each process group), newest first."""
    cfg = cfg or load_config()
    pids = read_pids(cfg)
    stopped = 0
    for name, pid in reversed(list(pids.items())):
        if not _alive(pid):
            continue
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.1)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        stopped += 1
        log(f"stopped {name} (pid {pid})")
    _pids_file(cfg).unlink(missing_ok=True)
    return stopped


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def urls(cfg: LocalConfig) -> dict[str, str]:
    out = {"api": cfg.api_url, "openapi": f"{cfg.api_url}/openapi.json", "emulator": cfg.emulator_url}
    if "dashboard" in read_pids(cfg):
        out["dashboard"] = cfg.dashboard_url
    return out


def serve(cfg: LocalConfig | None = None) -> None:
    """Foreground: the runtime (router + poller + scheduler) for the stack in the stack file."""
    from tradeloop_local.runtime import LocalRuntime

    cfg = cfg or load_config()
    stack = read_stack(cfg)
    runtime = LocalRuntime(
        stack=stack["environment"],
        endpoint_url=stack["endpoint_url"],
        host=cfg.host,
        port=cfg.api_port,
        concurrency=int(os.environ.get("TRADELOOP_CONCURRENCY", "2")),
        schedule_seconds=float(os.environ.get("TRADELOOP_SCHEDULE_SECONDS", "0")),
    )
    stop = {"now": False}

    def _stop(*_: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runtime.start()
    print(f"runtime serving {runtime.api_url} with {sorted(runtime.pools)}", flush=True)
    try:
        while not stop["now"]:
            time.sleep(0.2)
    finally:
        runtime.stop()
