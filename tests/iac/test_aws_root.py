"""The AWS root itself (terraform/envs/aws), deployed to the IAM-enforcing emulator the way a user
deploys it: `make deploy`, a second plan with no changes, then `make destroy` from a clean clone
that holds no build/ (its buckets holding object versions and delete markers).

The Lambda zips are the placeholders of terraform/tests/fixtures/lambda (the emulator stores
Lambda code, never runs it; `make package` builds the real ones)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from iac_support import FIXTURE_ZIPS, REPO

from tests.utils import loud
from tradeloop_local.config import admin_aws_env

pytestmark = [pytest.mark.iac, pytest.mark.slow]

REGION = "eu-west-1"  # envs/aws's default region
TIMES: dict[str, float] = {}


def _clean_clone(dest: Path) -> Path:
    """What `git clone` gives: the tracked files (and new, not ignored ones), no build/, no .tradeloop/."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in files:
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    assert not (dest / "build").exists() and not (dest / ".tradeloop").exists()
    return dest


def _user_env() -> dict[str, str]:
    """A user's shell: none of the test session's stack settings. The session's embedded stack
    exports TRADELOOP_STATE_DIR (and points AWS_* at its emulator) while it lives; inherited, the
    clone's deploy kept its Terraform state in that stack's directory instead of its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("TRADELOOP_", "AWS_"))}


def _make(clone: Path, target: str, emulator: str, *extra: str) -> subprocess.CompletedProcess[str]:
    start = time.monotonic()
    proc = subprocess.run(
        [
            "make",
            "--no-print-directory",
            # The repository's venv is taken as installed: the clone must not reinstall it, or the
            # editable install would point at this temporary clone afterwards.
            "-o",
            str(REPO / ".venv" / ".installed"),
            target,
            f"VENV={REPO / '.venv'}",
            f"EMULATOR={emulator}",
            "AUTO_APPROVE=1",
            *extra,
        ],
        cwd=clone,
        env=_user_env(),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    TIMES[target] = time.monotonic() - start
    assert proc.returncode == 0, (
        f"make {target} exited {proc.returncode}:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory, terraform: Any) -> Iterator[str]:
    """The embedded emulator (IAM enforced: Terraform applies as its administrator)."""
    from tradeloop_local.embedded import running_emulator

    with running_emulator(tmp_path_factory.mktemp("emulator") / "emulator.log") as (url, _):
        yield url


@pytest.fixture(scope="module")
def deployed(emulator: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    clone = _clean_clone(tmp_path_factory.mktemp("clone"))
    _make(clone, "deploy", emulator, f"LAMBDA_DIR={FIXTURE_ZIPS}")
    outputs_dir = clone / ".tradeloop" / "terraform" / "aws-emulator" / "terraform" / "envs" / "aws"
    state = json.loads((outputs_dir / "terraform.tfstate").read_text())
    outputs = {k: v["value"] for k, v in state["outputs"].items()}
    env = admin_aws_env(emulator)
    session = boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    return {"clone": clone, "outputs": outputs, "session": session, "endpoint": emulator}


def _client(deployed: dict[str, Any], service: str) -> Any:
    return deployed["session"].client(service, endpoint_url=deployed["endpoint"])


def test_the_deployment_trades_on_day_one(deployed: dict[str, Any]) -> None:
    outputs = deployed["outputs"]
    # Given envs/aws applied to the emulator / Then the paper account is open with its initial cash
    accounts = outputs["stack"]["TRADELOOP_ACCOUNTS_TABLE"]
    item = _client(deployed, "dynamodb").get_item(
        TableName=accounts, Key={"account_id": {"S": "paper"}, "item": {"S": "CASH"}}
    )["Item"]
    assert item["cash"]["N"] == "100000" == str(outputs["paper_account"]["initial_cash"])

    # And the ALB's health check requests the dashboard's unauthenticated route
    contract = json.loads((REPO / "dashboard" / "contract.json").read_text())
    groups = _client(deployed, "elbv2").describe_target_groups()["TargetGroups"]
    assert [g["HealthCheckPath"] for g in groups] == [contract["health_path"]]

    # And no function reserves concurrency (a new account has none to give), while the queue
    # drives at most two order instances
    lam = _client(deployed, "lambda")
    for name in outputs["function_names"].values():
        assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    order = outputs["function_names"]["order"]
    mappings = [m for m in lam.list_event_source_mappings()["EventSourceMappings"] if m["FunctionArn"].endswith(order)]
    assert [m["ScalingConfig"]["MaximumConcurrency"] for m in mappings] == [2]

    # And the order role may write the snapshot it takes after fills
    policy = _client(deployed, "iam").get_role_policy(
        RoleName="tradeloop-order-lambda", PolicyName="tradeloop-order-least-privilege"
    )
    sids = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert sids["SnapshotsWrite"]["Action"] == ["dynamodb:PutItem"]


def test_the_daily_pipeline_is_deployed_with_a_least_privilege_marketdata_role(deployed: dict[str, Any]) -> None:
    outputs = deployed["outputs"]
    data = outputs["stack"]["TRADELOOP_DATA_BUCKET"]
    # Given envs/aws applied / Then the market-data function exists, with its own role
    marketdata = outputs["function_names"]["marketdata"]
    config = _client(deployed, "lambda").get_function_configuration(FunctionName=marketdata)
    assert config["Role"].endswith(":role/tradeloop-marketdata-lambda")
    # And the role writes bars/* and its own quality/* reports, nothing else, and reads its one secret
    policy = _client(deployed, "iam").get_role_policy(
        RoleName="tradeloop-marketdata-lambda", PolicyName="tradeloop-marketdata-least-privilege"
    )["PolicyDocument"]["Statement"]
    writes = {r for s in policy for r in s["Resource"] if "s3:PutObject" in s["Action"]}
    assert writes == {f"arn:aws:s3:::{data}/bars/*", f"arn:aws:s3:::{data}/quality/*"}
    secrets = [s for s in policy if any(a.startswith("secretsmanager:") for a in s["Action"])]
    assert [(s["Action"], s["Resource"]) for s in secrets] == [
        (["secretsmanager:GetSecretValue"], [outputs["marketdata_secret_arn"]])
    ]
    # And EventBridge Scheduler starts it 30 minutes after the close in New York time, with a role
    # that may invoke that function only
    schedule = _client(deployed, "scheduler").get_schedule(Name="tradeloop-daily-pipeline")
    assert schedule["ScheduleExpression"] == "cron(30 16 ? * MON-FRI *)"
    assert schedule["ScheduleExpressionTimezone"] == "America/New_York"
    assert schedule["Target"]["Arn"] == config["FunctionArn"]
    assert json.loads(schedule["Target"]["Input"])["time"] == "<aws.scheduler.scheduled-time>"
    role = schedule["Target"]["RoleArn"].rsplit("/", 1)[1]
    invoke = _client(deployed, "iam").get_role_policy(
        RoleName=role, PolicyName=f"{role.removesuffix('-scheduler')}-invoke"
    )
    assert invoke["PolicyDocument"]["Statement"][0]["Resource"] == [config["FunctionArn"]]
    # And each later step is started by the previous step's done event
    events = _client(deployed, "events")
    patterns = {
        r["Name"]: json.loads(r["EventPattern"]) for r in events.list_rules(NamePrefix="tradeloop-pipeline-")["Rules"]
    }
    assert patterns["tradeloop-pipeline-fill"]["detail-type"] == ["Session Bars Ingested"]
    assert patterns["tradeloop-pipeline-signal"]["detail-type"] == ["Session Filled"]


def test_every_alarm_on_our_own_metrics_watches_a_metric_the_code_emits(deployed: dict[str, Any]) -> None:
    alarms = _client(deployed, "cloudwatch").describe_alarms()["MetricAlarms"]
    custom = [a for a in alarms if not a["Namespace"].startswith("AWS/")]
    assert custom, "the kill-switch alarm watches a custom metric"
    lam = _client(deployed, "lambda")
    for alarm in custom:
        service = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}["service"]
        # The namespace is the one the service's function publishes to (POWERTOOLS_METRICS_NAMESPACE)
        env = lam.get_function_configuration(FunctionName=deployed["outputs"]["function_names"][service])
        assert env["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == alarm["Namespace"]
        assert env["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == service
        # And the service's code emits the metric (tests/integration/test_trading_state_metric.py
        # checks the EMF record itself)
        code = "\n".join(p.read_text() for p in (REPO / "services" / service).rglob("*.py"))
        assert re.search(rf"['\"]{alarm['MetricName']}['\"]", code), f"{alarm['AlarmName']}: nothing emits it"


def test_second_plan_is_clean_then_destroy_works_from_a_clean_clone(
    deployed: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    clone: Path = deployed["clone"]
    # Given the deployment / When planned again / Then nothing would change
    start = time.monotonic()
    plan = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "python"),
            "scripts/aws_stack.py",
            "plan",
            "--emulator",
            deployed["endpoint"],
            "--package-dir",
            str(FIXTURE_ZIPS),
        ],
        cwd=clone,
        env=_user_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    TIMES["plan"] = time.monotonic() - start
    assert plan.returncode == 0, f"second plan is not clean (exit {plan.returncode}):\n{plan.stdout[-8000:]}"

    # Given versioned buckets holding object versions and a delete marker
    s3 = _client(deployed, "s3")
    buckets = [deployed["outputs"]["stack"][k] for k in ("TRADELOOP_DATA_BUCKET", "TRADELOOP_MODELS_BUCKET")]
    for bucket in buckets:
        for body in (b"v1", b"v2"):
            s3.put_object(Bucket=bucket, Key="bars/daily/AAPL.csv", Body=body)
        s3.delete_object(Bucket=bucket, Key="bars/daily/AAPL.csv")
    # When `make destroy` runs from the clean clone, which never built a Lambda package
    assert not (clone / "build").exists()
    out = _make(clone, "destroy", deployed["endpoint"])
    # Then it said what it deleted, and nothing is left
    for bucket in buckets:
        assert f"s3://{bucket}: 2 object version(s) (0 current), 1 delete marker(s)" in out.stdout
    assert not {b["Name"] for b in s3.list_buckets()["Buckets"]} & set(buckets)
    assert _client(deployed, "dynamodb").list_tables()["TableNames"] == []
    loud(
        f"envs/aws on the IAM-enforcing emulator: make deploy {TIMES['deploy']:.0f}s, second plan {TIMES['plan']:.0f}s "
        f"(no changes), make destroy from a clean clone {TIMES['destroy']:.0f}s"
    )
