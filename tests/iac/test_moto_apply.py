"""Terraform against a moto server over real HTTP.

envs/local (with enable_compute, so the Lambda, HTTP API, schedule and alarm modules are
applied too): apply, then a second plan shows no changes, then destroy. envs/aws: a plan.
The Lambda zips are the placeholders of terraform/tests/fixtures/lambda (moto stores Lambda
code, never runs it; real packages come from `make package`).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from iac_support import FIXTURE_ZIPS, Terraform

pytestmark = [pytest.mark.iac, pytest.mark.slow]

SERVICES = [
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
    "lambda",
    "s3",
    "sns",
    "sqs",
    "sts",
]


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
    print(
        f"envs/local on moto: apply {apply_s:.0f}s, second plan {plan_s:.0f}s (no changes), destroy {destroy_s:.0f}s",
        file=sys.__stderr__,
    )


def test_aws_root_plans_against_moto(terraform: Terraform, workspace: Path, moto_server: str) -> None:
    cwd = workspace / "envs" / "aws"
    # The copy swaps the S3 backend for local state and points the provider at moto.
    endpoints = "\n".join(f'    {s} = "{moto_server}"' for s in SERVICES)
    (cwd / "moto_override.tf").write_text(
        'terraform {\n  backend "local" {}\n}\n\n'
        'provider "aws" {\n'
        '  access_key                  = "test"\n'
        '  secret_key                  = "test"\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  skip_requesting_account_id  = false\n"
        "  s3_use_path_style           = true\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )
    terraform.init(cwd, backend=True)
    plan_s, plan = _timed(
        terraform,
        [
            "plan",
            "-input=false",
            "-no-color",
            f"-var=package_dir={FIXTURE_ZIPS}",
            '-var=allowed_cidrs=["203.0.113.0/24"]',
        ],
        cwd,
    )
    assert "93 to add, 0 to change, 0 to destroy" in plan.stdout, plan.stdout[-3000:]
    print(f"envs/aws on moto: plan {plan_s:.0f}s (93 to add)", file=sys.__stderr__)
