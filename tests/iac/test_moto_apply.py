"""envs/local against a plain moto server over real HTTP, with enable_compute (so the functions,
HTTP API and schedule are stored too): apply, then a second plan shows no changes, then destroy.
(envs/aws itself: test_aws_root.py.) The Lambda zips are the placeholders of
terraform/tests/fixtures/lambda (moto stores Lambda code, never runs it).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from iac_support import FIXTURE_ZIPS, REPO, Terraform

from tests.utils import loud

pytestmark = [pytest.mark.iac, pytest.mark.slow]


def _timed(terraform: Terraform, args: list[str], cwd: Path, **kw) -> tuple[float, object]:
    start = time.monotonic()
    proc = terraform.run(args, cwd, **kw)
    return time.monotonic() - start, proc


def test_local_apply_then_no_changes_then_destroy(terraform: Terraform, workspace: Path, moto_server: str) -> None:
    cwd = workspace / "envs" / "local"
    var_args = [
        f"-var=aws_endpoint_url={moto_server}",
        "-var=enable_compute=true",
        f"-var=package_dir={FIXTURE_ZIPS}",
    ]
    terraform.init(cwd, backend=True)

    # Given an empty emulator / When envs/local is applied
    apply_s, _ = _timed(terraform, ["apply", "-auto-approve", "-input=false", "-no-color", *var_args], cwd, timeout=900)
    outputs = json.loads(terraform.run(["output", "-json", "stack"], cwd).stdout)

    # Then the stack output names the resources under the documented environment variable names
    assert outputs["TRADELOOP_ORDERS_TABLE"] == "tradeloop-orders"
    assert outputs["TRADELOOP_DATA_BUCKET"] == "tradeloop-data"
    assert outputs["TRADELOOP_ORDER_QUEUE_URL"].endswith("/tradeloop-order-intents.fifo")
    assert outputs["AWS_ENDPOINT_URL"] == moto_server
    roles = json.loads(terraform.run(["output", "-json", "function_role_arns"], cwd).stdout)
    assert set(roles) == {"order", "portfolio", "signal", "marketdata"}

    # And a second plan shows no changes (exit code 0; 2 would mean a diff)
    plan_s, plan = _timed(
        terraform, ["plan", "-detailed-exitcode", "-input=false", "-no-color", *var_args], cwd, check=False
    )
    assert plan.returncode == 0, (
        f"second plan is not clean (exit {plan.returncode}):\n{plan.stdout[-8000:]}{plan.stderr}"
    )

    # And destroy removes everything
    destroy_s, _ = _timed(
        terraform, ["destroy", "-auto-approve", "-input=false", "-no-color", *var_args], cwd, timeout=900
    )
    state = terraform.run(["state", "list"], cwd, check=False)
    assert state.stdout.strip() == ""
    loud(f"envs/local on moto: apply {apply_s:.0f}s, second plan {plan_s:.0f}s (no changes), destroy {destroy_s:.0f}s")


def test_the_emulator_override_names_the_services_envs_local_points_at_the_emulator() -> None:
    from tradeloop_local.tfstack import EMULATED_SERVICES

    # Given envs/local's provider block / Then it names the same services the AWS root's emulator
    # override does (one list each side, kept equal here)
    text = (REPO / "terraform" / "envs" / "local" / "versions.tf").read_text()
    block = text.split("endpoints {", 1)[1].split("}", 1)[0]
    assert set(re.findall(r"^\s*(\w+)\s*=", block, re.M)) == set(EMULATED_SERVICES)
