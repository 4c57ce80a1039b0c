"""Start, check, stop and reset the embedded stack as background processes (`make up` / `make down`
/ `make reset`).

Three components, each a process in its own session: the emulator (moto, its state journaled to
``.tradeloop/emulator``), the runtime (router + poller + scheduler, with the Lambda worker
processes in its process group) and the dashboard. Their pids live in ``.tradeloop/pids.json``;
every process of the stack carries ``TRADELOOP_STACK_MARK=<state dir>`` in its environment, so
`down` stops exactly the stack's processes, orphaned Lambda workers of a killed runtime included,
and never a process that merely reuses a pid.

`up` checks each component (its pid is the stack's and it answers) and starts only those that do
not: after a crash of the runtime it restarts the runtime, after a crash of the emulator the
emulator, whose state comes back from its journal. The stack is provisioned and seeded only when
the emulator holds no state (the first start, or after `make reset`); otherwise Terraform is not
run again and the account is not seeded again.

`reset` is the one way to delete the stack's state, and it lists what it deletes first."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tradeloop_local.config import LocalConfig, load_config
from tradeloop_local.embedded import (
    STACK_MARK,
    StackError,
    emulator_state,
    inventory,
    provision_and_seed,
    read_stack,
    spawn_emulator,
    stack_mark,
    wait_http,
)

__all__ = ["StackError", "down", "read_stack", "reset", "serve", "status", "up", "urls"]

Log = Callable[[str], object]
COMPONENTS = ("emulator", "runtime", "dashboard")
STOP_SECONDS = 15  # the emulator writes a last snapshot on SIGTERM
_HAS_PROC = Path("/proc/self/environ").exists()


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
        env={**os.environ, **config_env(cfg), **env, STACK_MARK: stack_mark(cfg.state_dir)},
        start_new_session=True,
        cwd=cfg.state_dir.parent,
    )


def config_env(cfg: LocalConfig) -> dict[str, str]:
    """The settings ``cfg`` stands for, as the environment the stack's processes read them from
    (a caller may hold a config other than its own environment's: the tests, the harness)."""
    return {
        "TRADELOOP_STATE_DIR": str(cfg.state_dir),
        "TRADELOOP_BIND_HOST": cfg.host,
        "TRADELOOP_API_PORT": str(cfg.api_port),
        "TRADELOOP_DASHBOARD_PORT": str(cfg.dashboard_port),
        "TRADELOOP_EMULATOR_PORT": str(cfg.emulator_port),
    }


def read_pids(cfg: LocalConfig) -> dict[str, int]:
    path = cfg.pids_file
    return {k: int(v) for k, v in json.loads(path.read_text()).items()} if path.exists() else {}


def _write_pids(cfg: LocalConfig, pids: dict[str, int]) -> None:
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    cfg.pids_file.write_text(json.dumps(pids))


def dashboard_available() -> bool:
    try:
        return importlib.util.find_spec("dashboard.app") is not None
    except ModuleNotFoundError:
        return False


# ---- which processes are the stack's -------------------------------------------------------------


def _marked(pid: int, mark: str) -> bool | None:
    """Whether the process carries the stack's mark; None where /proc cannot say (not Linux)."""
    if not _HAS_PROC:
        return None
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:  # gone (FileNotFoundError, ProcessLookupError), or another user's
        return False
    return f"{STACK_MARK}={mark}".encode() in environ.split(b"\0")


def group_members(pgid: int, mark: str) -> list[int]:
    """The stack's processes in process group ``pgid``: the leader if it lives, and its children
    (Lambda workers) even when the leader was killed."""
    proc = Path("/proc")
    if not _HAS_PROC:  # not Linux: the leader, if it is alive
        return [pgid] if _alive(pgid) else []
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and _marked(int(entry.name), mark):
            members.append(int(entry.name))
    return members


def lambda_workers(cfg: LocalConfig, runtime_pid: int) -> list[int]:
    """The runtime's Lambda worker processes (multiprocessing children in its process group)."""
    workers = []
    for pid in group_members(runtime_pid, stack_mark(cfg.state_dir)):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if pid != runtime_pid and b"spawn_main" in cmdline:
            workers.append(pid)
    return workers


def _stop(cfg: LocalConfig, name: str, pgid: int, log: Log) -> bool:
    """SIGTERM the stack's processes of one component, SIGKILL what is left after STOP_SECONDS."""
    mark = stack_mark(cfg.state_dir)
    members = group_members(pgid, mark)
    if not members:
        return False
    for pid in members:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline:
        for pid in members:
            _reap(pid)
        members = [p for p in members if _alive(p) and _marked(p, mark) is not False]
        if not members:
            break
        time.sleep(0.1)
    for pid in members:
        _signal(pid, signal.SIGKILL)
        _reap(pid)
    log(f"stopped {name} (pid {pgid}{', killed after ' + str(STOP_SECONDS) + 's' if members else ''})")
    return True


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


# ---- health ---------------------------------------------------------------------------------------


def _health_url(cfg: LocalConfig, name: str) -> str:
    return {
        "emulator": f"{cfg.emulator_url}/_tradeloop/iam",
        # Answered by the router itself: the runtime process serves, whatever the functions do.
        "runtime": f"{cfg.api_url}/_local/health",
        "dashboard": f"{cfg.dashboard_url}/healthz",
    }[name]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code < 500
    except requests.RequestException:
        return False


def status(cfg: LocalConfig | None = None) -> dict[str, str]:
    """Each component: ``up`` (the stack's process, answering), ``unresponsive`` (the stack's
    process, not answering), ``dead`` (recorded, gone) or ``absent`` (never started)."""
    cfg = cfg or load_config()
    pids = read_pids(cfg)
    mark = stack_mark(cfg.state_dir)
    found = {}
    for name in COMPONENTS:
        pid = pids.get(name)
        if pid is None:
            found[name] = "absent"
        elif not _alive(pid) or _marked(pid, mark) is False:
            found[name] = "dead"
        else:
            found[name] = "up" if _answers(_health_url(cfg, name)) else "unresponsive"
    return found


# ---- up -------------------------------------------------------------------------------------------


def up(
    cfg: LocalConfig | None = None,
    with_dashboard: bool = True,
    log: Log = print,
    runtime_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """Start what is not running; keep what is. Returns the URLs. runtime_env: settings for the
    runtime's functions (e.g. TRADELOOP_ACCOUNT_ID, TRADELOOP_CONCURRENCY)."""
    cfg = cfg or load_config()
    wanted = [n for n in COMPONENTS if n != "dashboard" or (with_dashboard and dashboard_available())]
    state = status(cfg)
    if all(state[n] == "up" for n in wanted):
        pids = read_pids(cfg)
        log(f"already up ({', '.join(f'{n} pid {pids[n]}' for n in wanted)})")
        return urls(cfg)
    pids = read_pids(cfg)
    for name in wanted:
        if state[name] in ("dead", "unresponsive"):
            log(f"{name} is {state[name]} (pid {pids[name]}): restarting it")
            _stop(cfg, name, pids[name], log)  # what is left of it: e.g. a killed runtime's workers
    started = time.monotonic()
    try:
        fresh = _ensure_emulator(cfg, state["emulator"] == "up", pids, started, log)
        for name in wanted[1:]:
            if state[name] == "up" and not fresh:
                continue
            if state[name] == "up":  # a fresh stack has new roles: the old runtime's are gone
                _stop(cfg, name, pids[name], log)
            _check_port(cfg, name)
            _start(cfg, name, pids, started, log, runtime_env or {})
    except BaseException:
        if not any(state[n] == "up" for n in wanted):
            down(cfg, log=lambda _m: None)  # nothing was running before: leave nothing behind
        raise
    return urls(cfg)


def _check_port(cfg: LocalConfig, name: str, wait: float = 5.0) -> None:
    """The component's port is free; a process that just died may still hold it for a moment (the
    kernel closes its sockets after it stops looking alive)."""
    port = {"emulator": cfg.emulator_port, "runtime": cfg.api_port, "dashboard": cfg.dashboard_port}[name]
    deadline = time.monotonic() + wait
    while _port_busy(cfg.host, port) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _port_busy(cfg.host, port):
        variable = {"emulator": "EMULATOR", "runtime": "API", "dashboard": "DASHBOARD"}[name]
        raise StackError(f"port {port} ({name}) is in use; stop what holds it or set TRADELOOP_{variable}_PORT")


def _start_emulator(cfg: LocalConfig) -> subprocess.Popen[bytes]:
    """The stack's emulator, keeping its state in the stack's directory (restored as it starts)."""
    _check_port(cfg, "emulator")
    return spawn_emulator(
        cfg.emulator_port,
        cfg.state_dir / "logs" / "emulator.log",
        detach=True,
        cwd=cfg.state_dir.parent,
        state_dir=cfg.emulator_state_dir,
        mark=stack_mark(cfg.state_dir),
    )


def _wait_emulator(cfg: LocalConfig, proc: subprocess.Popen[bytes]) -> None:
    # A long journal takes a while to replay (about 5 ms a record): wait for it.
    wait_http(f"{cfg.emulator_url}/_tradeloop/iam", 300, proc, cfg.state_dir / "logs" / "emulator.log")


def _ensure_emulator(cfg: LocalConfig, running: bool, pids: dict[str, int], started: float, log: Log) -> bool:
    """The emulator up, holding the stack; True when the stack had to be created from nothing."""
    if not running:
        emu = _start_emulator(cfg)
        pids["emulator"] = emu.pid
        _write_pids(cfg, pids)
        _wait_emulator(cfg, emu)
        log(f"emulator  {cfg.emulator_url}  ({time.monotonic() - started:.1f}s)")
    kept = emulator_state(cfg.emulator_url)
    holds_state = kept.get("seq", 0) > 0 or bool(kept.get("restored", {}).get("restored"))
    if holds_state and cfg.stack_file.exists():
        restored = kept.get("restored", {})
        if not running:
            log(
                f"state     kept in {cfg.emulator_state_dir} (snapshot at record {restored.get('snapshot_seq', 0)}, "
                f"{restored.get('replayed', 0)} journal records replayed in {restored.get('seconds', 0):.1f}s); "
                "not provisioned or seeded again (`make reset` wipes it)"
            )
        if restored.get("divergent"):
            log(f"WARNING: {restored['divergent']} journal records replayed differently; see {cfg.state_dir}/logs")
        return False
    info = provision_and_seed(cfg.emulator_url, cfg, fresh=not holds_state, log=log)
    iam = "IAM enforced per function role" if info.iam_enforced else "IAM NOT enforced (no roles)"
    log(f"stack     created and seeded by {info.provisioned_by}; {iam} ({time.monotonic() - started:.1f}s)")
    return not holds_state


def _start(
    cfg: LocalConfig, name: str, pids: dict[str, int], started: float, log: Log, runtime_env: dict[str, str]
) -> None:
    py = sys.executable
    if name == "runtime":
        proc = _spawn(cfg, "runtime", [py, "-m", "tradeloop_local", "serve"], runtime_env)
        url, label = cfg.api_url, "API      "
    else:
        proc = _spawn(
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
        url, label = cfg.dashboard_url, "dashboard"
    pids[name] = proc.pid
    _write_pids(cfg, pids)
    wait_http(_health_url(cfg, name), 120, proc, cfg.state_dir / "logs" / f"{name}.log")
    log(f"{label} {url}  ({time.monotonic() - started:.1f}s)")


# ---- down and reset -------------------------------------------------------------------------------


def down(cfg: LocalConfig | None = None, log: Log = print) -> int:
    """Stop exactly what `up` started, newest first, with whatever is left in their process groups.
    The state stays (the emulator writes a snapshot as it stops)."""
    cfg = cfg or load_config()
    pids = read_pids(cfg)
    stopped = sum(_stop(cfg, name, pids[name], log) for name in reversed(COMPONENTS) if name in pids)
    cfg.pids_file.unlink(missing_ok=True)
    return stopped


def reset(cfg: LocalConfig | None = None, confirm: Callable[[str], bool] | None = None, log: Log = print) -> bool:
    """Delete the stack's state: the emulator's journal and snapshot (every table, bucket, queue, role),
    the stack file and Terraform's state of it. Lists what it holds first; ``confirm`` may refuse.
    The stack is left stopped; `make up` creates a fresh one."""
    from tradeloop_local.persistence import state_exists

    cfg = cfg or load_config()
    tf_state = cfg.state_dir / "terraform" / "local" / "terraform" / "envs" / "local"
    tf_files = [tf_state / n for n in ("terraform.tfstate", "terraform.tfstate.backup") if (tf_state / n).exists()]
    has_state = state_exists(cfg.emulator_state_dir)
    if not has_state and not cfg.stack_file.exists() and not tf_files:
        log(f"nothing to reset: no stack state in {cfg.state_dir}")
        return True
    held: dict[str, dict[str, int]] = {}
    if has_state:
        held = _inventory_of_kept_state(cfg, log)
    lines = [f"make reset deletes the local stack's state in {cfg.state_dir}:"]
    for kind in ("tables", "buckets", "queues"):
        for name, count in sorted(held.get(kind, {}).items()):
            unit = {"tables": "items", "buckets": "objects (versions included)", "queues": "messages"}[kind]
            lines.append(f"  {kind[:-1]:7s} {name:40s} {count:>8d} {unit}")
    if has_state:
        size = sum(f.stat().st_size for f in cfg.emulator_state_dir.iterdir() if f.is_file())
        lines.append(f"  the emulator's journal and snapshot ({size / 2**20:.1f} MiB), with every IAM role and key")
    if cfg.stack_file.exists():
        lines.append(f"  {cfg.stack_file.name} (resource names and roles)")
    for f in tf_files:
        lines.append(f"  Terraform state {f.relative_to(cfg.state_dir)}")
    lines.append("  kept: ML runs (.tradeloop/ml), logs, .venv")
    log("\n".join(lines))
    if confirm is not None and not confirm("delete all of it?"):
        log("nothing deleted")
        return False
    down(cfg, log=log)
    shutil.rmtree(cfg.emulator_state_dir, ignore_errors=True)
    cfg.stack_file.unlink(missing_ok=True)
    for f in tf_files:
        f.unlink(missing_ok=True)
    log("deleted; `make up` creates a fresh stack")
    return True


def _inventory_of_kept_state(cfg: LocalConfig, log: Log) -> dict[str, dict[str, int]]:
    """Count what the state holds, through the running emulator, or one started for the count."""
    pids = read_pids(cfg)
    if status(cfg)["emulator"] == "up":
        return inventory(cfg.emulator_url)
    proc = _start_emulator(cfg)
    try:
        _wait_emulator(cfg, proc)
        return inventory(cfg.emulator_url)
    finally:
        _stop(cfg, "emulator (started to count)", proc.pid, lambda _m: None)
        _write_pids(cfg, {k: v for k, v in pids.items() if k != "emulator"})


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

    def _stop_now(*_: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop_now)
    signal.signal(signal.SIGINT, _stop_now)
    runtime.start()
    print(f"runtime serving {runtime.api_url} with {sorted(runtime.pools)}", flush=True)
    try:
        while not stop["now"]:
            time.sleep(0.2)
    finally:
        runtime.stop()
