"""docker-compose.yml (LocalStack mode) is checked structurally here: no Docker engine runs on
the CI machines, so the file cannot be brought up in CI. What can drift is checked: every image
build names a Dockerfile that exists, every command is one our CLI accepts, every port is bound
to loopback, and LocalStack stays on the pinned tag (later tags need an account token)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tradeloop_local.cli import main

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


@pytest.mark.parametrize("name", sorted(n for n, s in SERVICES.items() if "build" in s))
def test_every_build_names_an_existing_dockerfile(name: str) -> None:
    build = SERVICES[name]["build"]
    dockerfile = REPO / build["context"] / build["dockerfile"]
    assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"
    text = dockerfile.read_text()
    assert "\nUSER " in text, f"{dockerfile} must not run as root"


@pytest.mark.parametrize("name", sorted(n for n, s in SERVICES.items() if "command" in s))
def test_tradeloop_commands_parse(name: str) -> None:
    command = SERVICES[name]["command"]
    assert command[:3] == ["python", "-m", "tradeloop_local"], command
    # argparse exits 0 on --help after accepting every other argument, 2 on an unknown one.
    with pytest.raises(SystemExit) as exited:
        main([*command[3:], "--help"])
    assert exited.value.code == 0, command


def test_ports_bind_to_loopback_only() -> None:
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_localstack_is_pinned_and_services_point_at_it() -> None:
    assert SERVICES["localstack"]["image"] == "localstack/localstack:4.14.0"
    assert SERVICES["bootstrap"]["environment"]["AWS_ENDPOINT_URL"] == "http://localstack:4566"
    assert SERVICES["dashboard"]["environment"]["TRADELOOP_API_URL"] == "http://runtime:8080"
