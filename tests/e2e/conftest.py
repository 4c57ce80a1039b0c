"""Browser fixtures: Debian chromium + chromedriver (installed by scripts/install_browser.sh), the
dashboard served by gunicorn exactly as the local stack runs it, pointed at the local API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.utils import loud
from tradeloop_local.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
# Debian's packages (scripts/install_browser.sh) put them in /usr/bin; any chromium on PATH works too.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _skip(config: pytest.Config, reason: str) -> None:
    """Never pass silently: one loud line on the real stderr, then skip with the same reason."""
    loud(f"SKIPPED: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_ready(pytestconfig: pytest.Config) -> str:
    # TRADELOOP_BROWSER_INSTALLER: another installer (e.g. to check this skip path); default the project's
    script = Path(os.environ.get("TRADELOOP_BROWSER_INSTALLER") or ROOT / "scripts" / "install_browser.sh")
    try:
        proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _skip(pytestconfig, f"browser tests: {script.name} could not run ({exc})")
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        reason = next((ln for ln in lines if ln.startswith("SKIPPED:")), lines[-1] if lines else "no output")
        _skip(
            pytestconfig, f"browser tests: {script.name} exited {proc.returncode}: {reason.removeprefix('SKIPPED: ')}"
        )
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            _skip(pytestconfig, f"browser tests: {path} missing after {script.name}")
    return proc.stdout.strip()


class DashboardProcess:
    """``python -m gunicorn ... dashboard.app:server``, as tradeloop_local.stackctl starts it."""

    def __init__(self, api_url: str, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="dashboard-", suffix=".log")[1])
        env = {
            **os.environ,
            "TRADELOOP_API_URL": api_url,
            "TRADELOOP_DASHBOARD_REFRESH_SECONDS": "60",
            **(extra_env or {}),
        }
        for name in ("TRADELOOP_DASHBOARD_USER", "TRADELOOP_DASHBOARD_PASSWORD", "TRADELOOP_ENV"):
            if name not in (extra_env or {}):
                env.pop(name, None)
        cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4"]
        # no control socket: gunicorn 27 puts it at ~/.gunicorn/gunicorn.ctl, shared with `make up`'s dashboard
        cmd += ["--no-control-socket", "dashboard.app:server"]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)

    def wait(self, timeout: float = 60) -> DashboardProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dashboard exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"dashboard did not answer in {timeout:.0f}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture(scope="session")
def dashboard_url(local_api: str, browser_ready: str) -> Iterator[str]:
    dash = DashboardProcess(local_api).wait()
    try:
        yield dash.url
    finally:
        dash.stop()


@pytest.fixture(scope="session")
def start_dashboard() -> Iterator[Callable[..., DashboardProcess]]:
    """Factory for extra dashboards (another API URL, login on...); all stopped at the end."""
    started: list[DashboardProcess] = []

    def start(api_url: str, **env: str) -> DashboardProcess:
        proc = DashboardProcess(api_url, env)
        started.append(proc)
        return proc.wait()

    yield start
    for proc in started:
        proc.stop()


def chrome_options(user_data_dir: str) -> Any:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1440,1000",
        f"--user-data-dir={user_data_dir}",
    ):
        options.add_argument(arg)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture(scope="session")
def driver(browser_ready: str) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=chrome_options(profile))
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


DOC_IMAGES = ROOT / "docs" / "img"
UPDATE_DOC_IMAGES = "TRADELOOP_UPDATE_DOC_IMAGES"


def publish_doc_image(shot: Path) -> bool:
    """Copy a screenshot the docs show into docs/img, only when asked (``TRADELOOP_UPDATE_DOC_IMAGES=1``,
    which `make screenshots` sets): a normal run writes nothing into the source tree. True if copied."""
    if os.environ.get(UPDATE_DOC_IMAGES) != "1":
        return False
    DOC_IMAGES.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, DOC_IMAGES / shot.name)
    return True
