"""Local ports and paths, each overridable by an environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
ROUTES_FILE = REPO_ROOT / "services" / "routes.json"
REGION = "us-east-1"


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit() or not 0 <= int(raw) < 65536:
        raise SystemExit(f"{name}={raw!r} is not a port number; set it to e.g. {default}")
    return int(raw)


@dataclass(frozen=True)
class LocalConfig:
    host: str
    api_port: int
    dashboard_port: int
    emulator_port: int
    state_dir: Path

    @property
    def emulator_url(self) -> str:
        return f"http://{self.host}:{self.emulator_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def dashboard_url(self) -> str:
        return f"http://{self.host}:{self.dashboard_port}"

    @property
    def stack_file(self) -> Path:
        return self.state_dir / "stack.json"

    @property
    def emulator_state_dir(self) -> Path:
        """The emulator's journal and snapshot: the stack's data (tradeloop_local.persistence)."""
        return self.state_dir / "emulator"

    @property
    def pids_file(self) -> Path:
        return self.state_dir / "pids.json"


def load_config() -> LocalConfig:
    return LocalConfig(
        # Loopback only, unless a container must publish the port (docker-compose sets 0.0.0.0).
        host=os.environ.get("TRADELOOP_BIND_HOST", "127.0.0.1"),
        api_port=_port("TRADELOOP_API_PORT", 8080),
        dashboard_port=_port("TRADELOOP_DASHBOARD_PORT", 8050),
        emulator_port=_port("TRADELOOP_EMULATOR_PORT", 4566),
        state_dir=Path(os.environ.get("TRADELOOP_STATE_DIR", REPO_ROOT / ".tradeloop")),
    )


def admin_aws_env(endpoint_url: str) -> dict[str, str]:
    """The emulator's administrator (the operator's tools: Terraform, seeding, publishing, tests'
    set-up) and region; never real credentials. Lambda handlers run as their roles instead."""
    from tradeloop_local.emulator_iam import ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY

    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": ADMIN_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
