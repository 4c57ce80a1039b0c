"""`make up` / `make down` / `make reset` (tradeloop_local.stackctl) on a stack whose state is kept.

Each test runs a stack of its own as `make up` runs it (emulator, runtime and dashboard processes in
their own sessions, their own ports and state directory), started from a copy of the session's
Terraform-provisioned stack (embedded.clone_stack): exactly what `make up` finds after a `make down`."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.utils import order_body
from tradeloop_local import stackctl
from tradeloop_local.config import LocalConfig
from tradeloop_local.embedded import clone_stack, free_port, inventory, stack_mark


@pytest.fixture
def kept_stack(aws_env: dict[str, Any], tmp_path: Path) -> Iterator[LocalConfig]:
    cfg = LocalConfig("127.0.0.1", free_port(), free_port(), free_port(), tmp_path / "stack")
    clone_stack(aws_env["info"], cfg)
    yield cfg
    stackctl.down(cfg, log=lambda _m: None)


def _up(cfg: LocalConfig, dashboard: bool = False) -> list[str]:
    lines: list[str] = []
    stackctl.up(cfg, with_dashboard=dashboard, log=lines.append)
    return lines


def _trade(api: str) -> None:
    for body in (order_body("AAPL", "BUY", 7), order_body("IBM", "BUY", 3), order_body("AAPL", "SELL", 2)):
        r = requests.post(f"{api}/orders", json=body, timeout=60)
        assert r.status_code == 201 and r.json()["status"] == "FILLED", r.text


def _views(api: str) -> tuple[dict[str, Any], dict[str, Any]]:
    portfolio = requests.get(f"{api}/portfolio", timeout=60).json()
    portfolio.pop("as_of")  # the time of the request, not state
    return portfolio, requests.get(f"{api}/orders?limit=200", timeout=60).json()


def _stack_processes(cfg: LocalConfig) -> list[int]:
    mark = f"{stackctl.STACK_MARK}={stack_mark(cfg.state_dir)}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_paper_account_with_orders_survives_down_and_up_unchanged(kept_stack: LocalConfig) -> None:
    cfg = kept_stack
    # Given a running stack whose account has traded
    started = _up(cfg)
    assert any(line.startswith("state     kept") for line in started), started
    _trade(cfg.api_url)
    portfolio, orders = _views(cfg.api_url)
    held = inventory(cfg.emulator_url)
    # When it is stopped and started again (`make down && make up`)
    assert stackctl.down(cfg, log=lambda _m: None) == 2
    assert _stack_processes(cfg) == []
    restarted = _up(cfg)
    # Then /portfolio and /orders are identical, nothing was provisioned or seeded again
    assert _views(cfg.api_url) == (portfolio, orders)
    assert orders["orders"] and portfolio["positions"]
    assert not any(line.startswith(("provision:", "stack     created")) for line in restarted), restarted
    assert inventory(cfg.emulator_url) == held  # not one more bars version, item or message
    # And the clean stop left a snapshot: the start replayed nothing
    assert "0 journal records replayed" in "\n".join(restarted)


def test_a_sigkill_of_the_emulator_and_the_runtime_loses_nothing_and_up_restarts_only_them(
    kept_stack: LocalConfig,
) -> None:
    cfg = kept_stack
    _up(cfg, dashboard=True)
    _trade(cfg.api_url)
    portfolio, orders = _views(cfg.api_url)
    before = stackctl.read_pids(cfg)
    # When the emulator and the runtime are killed outright
    for name in ("emulator", "runtime"):
        os.kill(before[name], signal.SIGKILL)
    _wait_dead(before["emulator"], before["runtime"])
    assert stackctl.status(cfg) == {"emulator": "dead", "runtime": "dead", "dashboard": "up"}
    # Then `make up` restarts exactly those two, and the account is as it was
    lines = _up(cfg, dashboard=True)
    after = stackctl.read_pids(cfg)
    assert after["dashboard"] == before["dashboard"]
    assert after["emulator"] != before["emulator"] and after["runtime"] != before["runtime"]
    assert any("emulator is dead" in line for line in lines) and any("runtime is dead" in line for line in lines)
    assert _views(cfg.api_url) == (portfolio, orders)
    # And it trades on
    r = requests.post(f"{cfg.api_url}/orders", json=order_body("MSFT", "BUY", 1), timeout=60)
    assert r.status_code == 201 and r.json()["status"] == "FILLED"


def test_up_with_the_runtime_dead_restarts_it_and_keeps_the_emulator(kept_stack: LocalConfig) -> None:
    cfg = kept_stack
    _up(cfg)
    before = stackctl.read_pids(cfg)
    os.kill(before["runtime"], signal.SIGKILL)
    _wait_dead(before["runtime"])
    # When `make up` runs (it used to say "already up" and leave the API down)
    lines = _up(cfg)
    # Then the API answers again, from a new runtime, on the same emulator
    assert not any("already up" in line for line in lines)
    assert stackctl.read_pids(cfg)["emulator"] == before["emulator"]
    assert requests.get(f"{cfg.api_url}/health", timeout=60).status_code == 200
    # And with everything up, `make up` changes nothing
    assert any("already up" in line for line in _up(cfg))


def test_down_after_only_the_runtime_was_killed_leaves_no_lambda_worker(kept_stack: LocalConfig) -> None:
    cfg = kept_stack
    _up(cfg)
    runtime = stackctl.read_pids(cfg)["runtime"]
    workers = stackctl.lambda_workers(cfg, runtime)
    assert workers, "the runtime runs its functions in worker processes"
    # When only the runtime's own process is killed, and `make down` runs right away
    os.kill(runtime, signal.SIGKILL)
    stackctl.down(cfg, log=lambda _m: None)
    # Then none of its workers is left behind
    assert [pid for pid in workers if _running(pid)] == []
    assert _stack_processes(cfg) == []


def test_workers_of_a_killed_runtime_exit_by_themselves(kept_stack: LocalConfig) -> None:
    cfg = kept_stack
    _up(cfg)
    runtime = stackctl.read_pids(cfg)["runtime"]
    workers = stackctl.lambda_workers(cfg, runtime)
    os.kill(runtime, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in workers if _running(pid)] == []


def test_reset_lists_what_it_deletes_and_deletes_only_the_stack_state(kept_stack: LocalConfig) -> None:
    cfg = kept_stack
    _up(cfg)
    _trade(cfg.api_url)
    held = inventory(cfg.emulator_url)
    listing: list[str] = []
    # When the reset is refused at its question
    assert stackctl.reset(cfg, confirm=lambda _q: False, log=listing.append) is False
    # Then nothing is deleted and the stack still runs
    assert cfg.stack_file.exists() and stackctl.status(cfg)["emulator"] == "up"
    text = "\n".join(listing)
    for table, count in held["tables"].items():
        assert f"{table} " in text and f" {count} items" in text
    for queue in held["queues"]:
        assert queue in text
    # When it is confirmed
    assert stackctl.reset(cfg, confirm=lambda _q: True, log=lambda _m: None) is True
    # Then the stack is stopped and its state gone; logs stay
    assert not cfg.emulator_state_dir.exists() and not cfg.stack_file.exists()
    assert set(stackctl.status(cfg).values()) == {"absent"}
    assert (cfg.state_dir / "logs").is_dir()
    assert _stack_processes(cfg) == []


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait_dead(*pids: int) -> None:
    deadline = time.monotonic() + 10
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
