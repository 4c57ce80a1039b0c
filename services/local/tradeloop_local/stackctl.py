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

from tradeloop_local.config import LocalConfig, load_config
from tradeloop_local.embedded import StackError, provision_and_seed, read_stack, spawn_emulator, wait_http

__all__ = ["StackError", "down", "read_stack", "serve", "up", "urls"]


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
        emulator_log = cfg.state_dir / "logs" / "emulator.log"
        emu = spawn_emulator(cfg.emulator_port, emulator_log, detach=True, cwd=cfg.state_dir.parent)
        pids["emulator"] = emu.pid
        _write_pids(cfg, pids)
        wait_http(f"{cfg.emulator_url}/_tradeloop/iam", 60, emu, emulator_log)
        log(f"emulator  {cfg.emulator_url}  ({time.monotonic() - started:.1f}s)")
        info = provision_and_seed(cfg.emulator_url, cfg, fresh=True, log=log)
        iam = "IAM enforced per function role" if info.iam_enforced else "IAM NOT enforced (no roles)"
        log(f"stack     created and seeded by {info.provisioned_by}; {iam} ({time.monotonic() - started:.1f}s)")
        rt = _spawn(cfg, "runtime", [py, "-m", "tradeloop_local", "serve"], {})
        pids["runtime"] = rt.pid
        _write_pids(cfg, pids)
        wait_http(f"{cfg.api_url}/health", 120, rt, cfg.state_dir / "logs" / "runtime.log")
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
            wait_http(f"{cfg.dashboard_url}/", 120, dash, cfg.state_dir / "logs" / "dashboard.log")
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
    runtime = LocalRuntime(
        info=read_stack(cfg),
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
