"""Provision the embedded stack with Terraform (terraform/envs/local) instead of the boto3 bootstrap.

How the stack's resources come to exist in the emulator is chosen by ``TRADELOOP_PROVISION``
(``tradeloop up --provision ...`` sets it):

* ``terraform``: ``terraform apply`` of envs/local; fails when Terraform cannot run.
* ``python``: :func:`tradeloop_local.resources.create_stack` (boto3, about a second).
* ``auto`` (default): Terraform when the CLI and the hashicorp/aws provider mirror are found
  (scripts/terraform_env.sh), else the boto3 bootstrap, saying so in one line.

Terraform works on a copy of terraform/ (and the JSON contracts the stack module reads:
services/*.json, dashboard/contract.json) under ``<state dir>/terraform/local``, where its
.terraform/ and state stay: nothing lands in the source tree. Either way the result is a
:class:`~tradeloop_local.embedded.StackInfo`: the resource names under the variable names of
docs/architecture.md, and from Terraform also each function's role and environment.
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
from typing import TYPE_CHECKING

from tradeloop_local.config import REGION, REPO_ROOT, LocalConfig, admin_aws_env

if TYPE_CHECKING:
    from tradeloop_local.embedded import StackInfo

PROVISION_ENV = "TRADELOOP_PROVISION"
CHOICES = ("auto", "terraform", "python")
TERRAFORM_DIR = REPO_ROOT / "terraform"
TERRAFORM_ENV_SCRIPT = REPO_ROOT / "scripts" / "terraform_env.sh"
# Files outside terraform/ that the stack module reads (jsondecode(file(...))): one home each.
CONTRACTS = (
    "services/routes.json",
    "services/tables.json",
    "dashboard/contract.json",
    # The daily pipeline's steps and schedule, and the exchange calendar (time zone, close) it reads.
    "services/common/tradeloop_common/pipeline.json",
    "services/common/tradeloop_common/schedule.json",
    "services/common/tradeloop_common/calendars/XNYS.json",
)
# What Terraform writes in the root of the copy, and must survive a refresh of the sources. Not the
# lock file: the root's committed .terraform.lock.hcl is copied in with the sources.
KEEP = {".terraform", "terraform.tfstate", "terraform.tfstate.backup"}
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


# The services whose endpoint an emulator serves (envs/local's provider block lists the same:
# tests/iac checks the two agree).
EMULATED_SERVICES = (
    "apigatewayv2",
    "cloudwatch",
    "cloudwatchevents",
    "cloudwatchlogs",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "iam",
    "kms",
    "lambda",
    "s3",
    "scheduler",
    "secretsmanager",
    "sns",
    "sqs",
    "sts",
)


def emulator_override(endpoint_url: str) -> str:
    """An override file that points a root written for AWS (envs/aws) at an emulator, with local
    state: how the infrastructure tests apply the AWS root itself."""
    endpoints = "\n".join(f'    {s} = "{endpoint_url}"' for s in EMULATED_SERVICES)
    return (
        'terraform {\n  backend "local" {}\n}\n\n'
        'provider "aws" {\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  skip_requesting_account_id  = false\n"
        "  s3_use_path_style           = true\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )


@dataclass
class TerraformStack:
    """A root of terraform/envs (local by default) run from a working copy under the state dir,
    where its .terraform/ and state stay."""

    binary: str
    env: dict[str, str]
    workdir: Path
    root_name: str = "local"

    @classmethod
    def find(
        cls,
        cfg: LocalConfig,
        need_mirror: bool = True,
        root_name: str = "local",
        workdir: Path | None = None,
        emulator: bool = True,
    ) -> TerraformStack:
        """emulator: the emulator's administrator applies it, and no profile or real key may
        interfere; else (AWS) the caller's AWS_* settings are kept."""
        binary = shutil.which("terraform")
        if binary is None:
            raise TerraformUnavailable("the terraform CLI is not on PATH")
        drop = ("AWS_", "TF_") if emulator else ("TF_",)
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        if emulator:
            env.update({k: v for k, v in admin_aws_env("").items() if k != "AWS_ENDPOINT_URL"})
            env["AWS_EC2_METADATA_DISABLED"] = "true"
        env.update(TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        proc = subprocess.run(["bash", str(TERRAFORM_ENV_SCRIPT), "--print"], capture_output=True, text=True)
        if proc.returncode == 0:
            env["TF_CLI_CONFIG_FILE"] = proc.stdout.strip()
        elif need_mirror:
            raise TerraformUnavailable(f"no hashicorp/aws provider mirror ({proc.stderr.strip()})")
        elif os.path.isfile(os.environ.get("TF_CLI_CONFIG_FILE", "")):
            env["TF_CLI_CONFIG_FILE"] = os.environ["TF_CLI_CONFIG_FILE"]
        return cls(binary, env, workdir or cfg.state_dir / "terraform" / root_name, root_name)

    @property
    def root(self) -> Path:
        return self.workdir / "terraform" / "envs" / self.root_name

    def run(
        self, args: list[str], timeout: float | None = 900, stream: bool = False, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """stream: the user sees Terraform's output and answers its prompt (deploy, destroy)."""
        proc = subprocess.run(
            [self.binary, *args], cwd=self.root, env=self.env, capture_output=not stream, text=True, timeout=timeout
        )
        if check and proc.returncode != 0:
            out = f"{(proc.stderr or '')[-4000:]}{(proc.stdout or '')[-2000:]}"
            raise TerraformFailed(f"terraform {args[0]} (in {self.root}) exited {proc.returncode}:\n{out}")
        return proc

    def sync(self) -> None:
        """Refresh the copy of terraform/ and the contracts, keeping .terraform/ and the state."""
        tf = self.workdir / "terraform"
        for parent, keep in ((tf, {"envs"}), (tf / "envs", {self.root_name}), (self.root, KEEP)):
            if parent.is_dir():
                for entry in parent.iterdir():
                    if entry.name not in keep:
                        _remove(entry)
        ignore = shutil.ignore_patterns(*KEEP, "*.tfvars", "terraform.tfstate.*")
        shutil.copytree(TERRAFORM_DIR, tf, ignore=ignore, dirs_exist_ok=True)
        for contract in CONTRACTS:
            (self.workdir / contract).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / contract, self.workdir / contract)

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

    def apply(self, endpoint_url: str, compute: bool = False, fast: bool = True) -> StackInfo:
        """init + apply; return what the runtime needs (names, roles, function environments)."""
        self.sync()
        self.run(["init", "-input=false", "-no-color"])
        self.run(["apply", "-auto-approve", "-input=false", "-no-color", *self.variables(endpoint_url, compute, fast)])
        return self.stack_info(endpoint_url)

    def destroy(self, endpoint_url: str) -> None:
        self.sync()
        self.run(["init", "-input=false", "-no-color"])
        self.run(["destroy", "-auto-approve", "-input=false", "-no-color", *self.variables(endpoint_url)])

    def outputs(self) -> dict[str, object]:
        raw = json.loads(self.run(["output", "-json", "-no-color"]).stdout)
        return {name: out["value"] for name, out in raw.items()}

    def stack_info(self, endpoint_url: str) -> StackInfo:
        """The names Terraform gave the resources, and each function's role and environment."""
        from tradeloop_local.embedded import FunctionSpec, StackInfo

        out = self.outputs()
        names = {k: str(v) for k, v in dict(out["stack"]).items() if k != "AWS_ENDPOINT_URL"}  # type: ignore[call-overload]
        roles: dict[str, str] = dict(out["function_role_arns"])  # type: ignore[call-overload]
        envs: dict[str, dict[str, str]] = dict(out["function_environment"])  # type: ignore[call-overload]
        functions = {k: FunctionSpec(role_arn=roles[k], environment=dict(envs[k])) for k in roles}
        return StackInfo(endpoint_url, names, functions, provisioned_by="terraform")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def provision(
    endpoint_url: str, cfg: LocalConfig, fresh: bool = False, log: Callable[[str], object] = print
) -> StackInfo:
    """Create the stack's resources in the emulator at endpoint_url, the way TRADELOOP_PROVISION says.

    fresh: the emulator was just started, so any Terraform state left from an earlier one is stale."""
    import boto3

    from tradeloop_local.embedded import StackInfo
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
            info = stack.apply(endpoint_url)
            log(f"provision: terraform apply of envs/local took {time.monotonic() - started:.1f}s")
            return info
    names = create_stack(boto3.session.Session())
    log(f"provision: Python bootstrap took {time.monotonic() - started:.1f}s")
    return StackInfo(endpoint_url, names)
