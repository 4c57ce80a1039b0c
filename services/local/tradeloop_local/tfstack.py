"""Provision the embedded stack with Terraform (terraform/envs/local) instead of the boto3 bootstrap.

How the stack's resources come to exist in the emulator is chosen by ``TRADELOOP_PROVISION``
(``tradeloop up --provision ...`` sets it):

* ``terraform``: ``terraform apply`` of envs/local; fails when Terraform cannot run.
* ``python``: :func:`tradeloop_local.resources.create_stack` (boto3, about a second).
* ``auto`` (default): Terraform when the CLI and the hashicorp/aws provider mirror are found
  (scripts/terraform_env.sh), else the boto3 bootstrap, saying so in one line.

Terraform works on a copy of terraform/ (and services/routes.json, which the root reads) under
``<state dir>/terraform/local``, where its .terraform/ and state stay: nothing lands in the
source tree. Either way the result is the same Lambda environment (table, bucket and queue
names under the variable names of docs/architecture.md), built from ``terraform output -json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tradeloop_local.config import REGION, REPO_ROOT, LocalConfig

PROVISION_ENV = "TRADELOOP_PROVISION"
CHOICES = ("auto", "terraform", "python")
TERRAFORM_DIR = REPO_ROOT / "terraform"
TERRAFORM_ENV_SCRIPT = REPO_ROOT / "scripts" / "terraform_env.sh"
ROOT = Path("terraform") / "envs" / "local"
# What Terraform writes in the root of the copy, and must survive a refresh of the sources.
KEEP = {".terraform", ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup"}
# Resources of envs/local the local runtime needs; the bars and the account are seeded afterwards.
FAST_VARS = {
    # The provider waits about 55 s for lifecycle rules to settle in moto; nothing expires there.
    "enable_lifecycle_rules": "false",
    # As the boto3 bootstrap: the local poller sees a failed intent again after 10 s.
    "queue_visibility_timeout_seconds": "10",
}


class TerraformUnavailable(RuntimeError):
    """Terraform cannot run here (no CLI, or no provider mirror in auto mode)."""


class TerraformFailed(RuntimeError):
    """A terraform command exited non-zero."""


def provision_mode() -> str:
    mode = os.environ.get(PROVISION_ENV, "auto").strip().lower() or "auto"
    if mode not in CHOICES:
        raise SystemExit(f"{PROVISION_ENV}={mode!r}: choose one of {', '.join(CHOICES)}")
    return mode


@dataclass
class TerraformStack:
    """terraform/envs/local applied to one emulator, from a working copy under the state dir."""

    binary: str
    env: dict[str, str]
    workdir: Path

    @classmethod
    def find(cls, cfg: LocalConfig, need_mirror: bool = True) -> TerraformStack:
        binary = shutil.which("terraform")
        if binary is None:
            raise TerraformUnavailable("the terraform CLI is not on PATH")
        # The emulator takes the provider's static test credentials: no profile may interfere.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        env.update(TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", AWS_EC2_METADATA_DISABLED="true")
        proc = subprocess.run(["bash", str(TERRAFORM_ENV_SCRIPT), "--print"], capture_output=True, text=True)
        if proc.returncode == 0:
            env["TF_CLI_CONFIG_FILE"] = proc.stdout.strip()
        elif need_mirror:
            raise TerraformUnavailable(f"no hashicorp/aws provider mirror ({proc.stderr.strip()})")
        elif os.path.isfile(os.environ.get("TF_CLI_CONFIG_FILE", "")):
            env["TF_CLI_CONFIG_FILE"] = os.environ["TF_CLI_CONFIG_FILE"]
        return cls(binary, env, cfg.state_dir / "terraform" / "local")

    @property
    def root(self) -> Path:
        return self.workdir / ROOT

    def run(self, args: list[str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.binary, *args], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if proc.returncode != 0:
            out = f"{proc.stderr[-4000:]}{proc.stdout[-2000:]}"
            raise TerraformFailed(f"terraform {args[0]} (in {self.root}) exited {proc.returncode}:\n{out}")
        return proc

    def sync(self) -> None:
        """Refresh the copy of terraform/ and routes.json, keeping .terraform/ and the state."""
        tf = self.workdir / "terraform"
        for parent, keep in ((tf, {"envs"}), (tf / "envs", {"local"}), (self.root, KEEP)):
            if parent.is_dir():
                for entry in parent.iterdir():
                    if entry.name not in keep:
                        _remove(entry)
        ignore = shutil.ignore_patterns(*KEEP, "*.tfvars", "terraform.tfstate.*")
        shutil.copytree(TERRAFORM_DIR, tf, ignore=ignore, dirs_exist_ok=True)
        (self.workdir / "services").mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / "services" / "routes.json", self.workdir / "services" / "routes.json")

    def forget(self) -> None:
        """Drop the state: the emulator it described is gone (moto keeps everything in memory)."""
        for name in ("terraform.tfstate", "terraform.tfstate.backup"):
            (self.root / name).unlink(missing_ok=True)

    def variables(self, endpoint_url: str, compute: bool = False, fast: bool = True) -> list[str]:
        values = {"aws_endpoint_url": endpoint_url, "region": REGION, **(FAST_VARS if fast else {})}
        if compute:
            package_dir = REPO_ROOT / "build" / "lambda"
            if not (package_dir / "layer-common.zip").exists():
                raise TerraformFailed(f"{package_dir} holds no Lambda packages: run `make package` first")
            values.update(enable_compute="true", package_dir=str(package_dir))
        return [f"-var={k}={v}" for k, v in values.items()]

    def apply(self, endpoint_url: str, compute: bool = False, fast: bool = True) -> dict[str, str]:
        """init + apply; return the Lambda environment naming every resource."""
        self.sync()
        self.run(["init", "-input=false", "-no-color"])
        self.run(["apply", "-auto-approve", "-input=false", "-no-color", *self.variables(endpoint_url, compute, fast)])
        return self.environment()

    def destroy(self, endpoint_url: str) -> None:
        self.sync()
        self.run(["init", "-input=false", "-no-color"])
        self.run(["destroy", "-auto-approve", "-input=false", "-no-color", *self.variables(endpoint_url)])

    def outputs(self) -> dict[str, object]:
        raw = json.loads(self.run(["output", "-json", "-no-color"]).stdout)
        return {name: out["value"] for name, out in raw.items()}

    def environment(self) -> dict[str, str]:
        """The same keys create_stack returns, with the names Terraform gave the resources."""
        from tradeloop_local.resources import lambda_environment

        out = self.outputs()
        names = {k: str(v) for k, v in dict(out["stack"]).items() if k != "AWS_ENDPOINT_URL"}  # type: ignore[call-overload]
        env = lambda_environment(names["TRADELOOP_ORDER_QUEUE_URL"], str(out["order_dlq_url"]))
        env.update(names)
        return env


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def provision(
    endpoint_url: str, cfg: LocalConfig, fresh: bool = False, log: Callable[[str], object] = print
) -> dict[str, str]:
    """Create the stack's resources in the emulator at endpoint_url, the way TRADELOOP_PROVISION says.

    fresh: the emulator was just started, so any Terraform state left from an earlier one is stale."""
    import boto3

    from tradeloop_local.resources import create_stack

    mode = provision_mode()
    started = time.monotonic()
    if mode != "python":
        try:
            stack = TerraformStack.find(cfg, need_mirror=mode == "auto")
        except TerraformUnavailable as exc:
            if mode == "terraform":
                raise
            log(f"provision: {exc}; creating the stack with the Python bootstrap instead")
        else:
            if fresh:
                stack.forget()
            env = stack.apply(endpoint_url)
            log(f"provision: terraform apply of envs/local took {time.monotonic() - started:.1f}s")
            return env
    env = create_stack(boto3.session.Session())
    log(f"provision: Python bootstrap took {time.monotonic() - started:.1f}s")
    return env
