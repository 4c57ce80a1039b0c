"""Infrastructure tests: the Terraform CLI, the hashicorp/aws provider mirror, checkov and a
moto server over real HTTP.

Every test works on a copy of terraform/ (plus services/routes.json) in a temporary directory,
so no .terraform/ or state lands in the work tree other engineers share (the roots' committed
.terraform.lock.hcl is copied with them: init verifies the provider against it).
When Terraform or the provider mirror cannot be found, the tests print one loud
``SKIPPED: <why>`` line and skip: they never pass silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from iac_support import REPO, TERRAFORM_DIR, Terraform, loud_skip

from tradeloop_local.config import admin_aws_env
from tradeloop_local.embedded import free_port


@pytest.fixture(scope="session")
def terraform() -> Terraform:
    """The Terraform CLI, configured for the provider mirror by scripts/terraform_env.sh."""
    binary = shutil.which("terraform")
    if binary is None:
        loud_skip("terraform CLI not on PATH")
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "terraform_env.sh"), "--print"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        loud_skip(f"no hashicorp/aws provider mirror: {proc.stderr.strip()}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    # Emulators only: the emulator's administrator (any key would do for a plain moto server).
    env.update({k: v for k, v in admin_aws_env("").items() if k != "AWS_ENDPOINT_URL"})
    env.update(
        TF_CLI_CONFIG_FILE=proc.stdout.strip(),
        TF_IN_AUTOMATION="1",
        CHECKPOINT_DISABLE="1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return Terraform(binary, env)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of terraform/ and the JSON contracts the stack module reads."""
    from tradeloop_local.tfstack import CONTRACTS

    root = tmp_path_factory.mktemp("iac")
    shutil.copytree(
        TERRAFORM_DIR,
        root / "terraform",
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", "*.tfvars"),
    )
    for contract in CONTRACTS:
        (root / contract).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / contract, root / contract)
    return root / "terraform"


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A plain moto server (not tradeloop's emulator: no IAM enforcement, no journal) over real HTTP
    on a free loopback port (never 4566/8080/8050): envs/local must apply to stock moto too."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        loud_skip("moto[server] is not installed in this interpreter")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start:\n{log.read_text()}") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
