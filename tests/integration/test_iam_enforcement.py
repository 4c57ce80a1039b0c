"""IAM is enforced in the embedded mode: each handler runs with the credentials of the role
Terraform made for its function, and the emulator checks every call against that role's policy.

The proof that it is real: a grant taken out of a role's policy makes the service's own code fail
with AccessDenied, as it would in AWS (test_a_grant_removed_from_the_order_role_...)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tradeloop_local.lambda_pool import FunctionError
from tradeloop_local.scheduler import bars_ingested_event

SERVICES = ("order", "portfolio", "signal", "marketdata")


@pytest.fixture(scope="module")
def enforced(aws_env: dict[str, Any]) -> dict[str, Any]:
    if not aws_env["info"].iam_enforced:
        pytest.skip("SKIPPED: the stack has no roles (Terraform could not run): IAM is not enforced")
    return aws_env


def _session_of(local_runtime: Any, service: str) -> boto3.session.Session:
    env = local_runtime.pools[service]._env
    return boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
        region_name=env["AWS_DEFAULT_REGION"],
    )


@pytest.mark.parametrize("service", SERVICES)
def test_each_handler_runs_as_its_function_role(enforced: dict[str, Any], local_runtime: Any, service: str) -> None:
    # Given the local runtime / When a service's instances ask who they are
    sts = _session_of(local_runtime, service).client("sts", endpoint_url=enforced["endpoint_url"])
    # Then they are the function's execution role, as Terraform named it
    arn = sts.get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::123456789012:assumed-role/tradeloop-{service}-lambda/tradeloop-{service}"
    assert enforced["info"].functions[service].role_arn.endswith(f":role/tradeloop-{service}-lambda")


def test_a_role_cannot_do_what_its_policy_does_not_grant(enforced: dict[str, Any], local_runtime: Any) -> None:
    stack, endpoint = enforced["stack"], enforced["endpoint_url"]
    signal = _session_of(local_runtime, "signal")
    # Given the signal role (signals table, bars, models, send to the queue) / When it writes the ledger
    with pytest.raises(ClientError) as denied:
        signal.client("dynamodb", endpoint_url=endpoint).put_item(
            TableName=stack["TRADELOOP_ACCOUNTS_TABLE"],
            Item={"account_id": {"S": "paper"}, "item": {"S": "CASH"}, "cash": {"N": "1000000000"}},
        )
    # Then AccessDenied, and cash is untouched
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    portfolio = _session_of(local_runtime, "portfolio")
    # And the portfolio role may read LATEST, but no model file and no bar outside bars/
    s3 = portfolio.client("s3", endpoint_url=endpoint)
    with pytest.raises(ClientError) as denied:
        s3.get_object(Bucket=stack["TRADELOOP_MODELS_BUCKET"], Key="models/tradeloop/v1/model.onnx")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as denied:
        s3.list_objects_v2(Bucket=stack["TRADELOOP_DATA_BUCKET"], Prefix="quality/")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.list_objects_v2(Bucket=stack["TRADELOOP_DATA_BUCKET"], Prefix="bars/")["KeyCount"] > 0


def test_nobody_but_the_lambda_service_assumes_a_function_role(enforced: dict[str, Any]) -> None:
    role = enforced["info"].functions["order"].role_arn
    # Given the administrator / When it tries to assume the order role / Then the trust policy refuses
    with pytest.raises(ClientError) as denied:
        enforced["session"].client("sts").assume_role(RoleArn=role, RoleSessionName="intruder")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    # And unknown keys are refused outright
    stranger = boto3.session.Session(
        aws_access_key_id="AKIA0000000000000000", aws_secret_access_key="x", region_name="us-east-1"
    )
    with pytest.raises(ClientError) as refused:
        stranger.client("s3", endpoint_url=enforced["endpoint_url"]).list_buckets()
    assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def _policy_without(enforced: dict[str, Any], service: str) -> Iterator[Any]:
    """Take statements out of a function role's policy (in the emulator); put them back after."""
    iam = enforced["session"].client("iam")
    role, name = f"tradeloop-{service}-lambda", f"tradeloop-{service}-least-privilege"
    original = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]

    def remove(*sids: str) -> None:
        doc = {**original, "Statement": [s for s in original["Statement"] if s["Sid"] not in sids]}
        assert len(doc["Statement"]) == len(original["Statement"]) - len(sids), f"no statement among {sids}"
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(doc))

    try:
        yield remove
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(original))


@pytest.fixture
def order_policy_without(enforced: dict[str, Any]) -> Iterator[Any]:
    yield from _policy_without(enforced, "order")


def test_a_grant_removed_from_the_order_role_fails_the_fill_step_with_access_denied(
    enforced: dict[str, Any], local_runtime: Any, fresh_account: Any, order_policy_without: Any
) -> None:
    # Given an order waiting for Monday's open
    intent = {
        "intent_id": f"iam-{uuid.uuid4().hex[:8]}",
        "session": "2012-06-01",
        "as_of": "2012-06-01T21:00:00Z",
        "targets": {"IBM": 0.1},
    }
    sqs, queue_url = enforced["session"].client("sqs"), enforced["stack"]["TRADELOOP_ORDER_QUEUE_URL"]
    sqs.send_message(
        QueueUrl=queue_url, MessageBody=json.dumps(intent), MessageGroupId="paper", MessageDeduplicationId="1"
    )
    while local_runtime.poller.poll_once(wait_seconds=0):
        pass
    # And the order role without its snapshots grant (SnapshotsWrite)
    order_policy_without("SnapshotsWrite")
    # When Monday's open fills it and the function writes the snapshot at Monday's close
    with pytest.raises(FunctionError) as failed:
        local_runtime.pools["order"].invoke(bars_ingested_event(date(2012, 6, 4)))
    # Then the function fails with DynamoDB's AccessDeniedException, naming the action and the table
    # (the snapshot store wraps it in a StoreError: it is the cause, in the function's trace)
    trace = failed.value.payload["trace"]
    assert "AccessDeniedException" in trace, failed.value
    assert "dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/tradeloop-snapshots" in trace


def test_health_names_the_live_model_with_the_portfolio_role(enforced: dict[str, Any], local_api: str) -> None:
    # Given the portfolio role (it may read models/<name>/LATEST) / When /health runs
    checks = requests.get(f"{local_api}/health", timeout=30).json()["checks"]
    # Then the model check is an answer, never an access error
    assert not checks["model"].startswith("error"), checks


@pytest.fixture
def marketdata_policy_without(enforced: dict[str, Any]) -> Iterator[Any]:
    yield from _policy_without(enforced, "marketdata")


def test_the_marketdata_role_writes_bars_and_reports_only_and_reads_its_one_secret(
    enforced: dict[str, Any], local_runtime: Any
) -> None:
    stack, endpoint = enforced["stack"], enforced["endpoint_url"]
    session = _session_of(local_runtime, "marketdata")
    s3 = session.client("s3", endpoint_url=endpoint)
    # Given the market-data role / Then it may write bars/ (and its quality/ reports), nothing else
    for key in ("models/tradeloop/LATEST", "research/notes.csv"):
        bucket = stack["TRADELOOP_MODELS_BUCKET" if key.startswith("models") else "TRADELOOP_DATA_BUCKET"]
        with pytest.raises(ClientError) as denied:
            s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        assert denied.value.response["Error"]["Code"] == "AccessDenied", key
    # And it reads its one secret (the provider's keys), and no other
    secret_arn = enforced["info"].functions["marketdata"].environment["TRADELOOP_MARKETDATA_SECRET_ARN"]
    sm = session.client("secretsmanager", endpoint_url=endpoint)
    assert json.loads(sm.get_secret_value(SecretId=secret_arn)["SecretString"])["key_id"]
    other = (
        enforced["session"]
        .client("secretsmanager")
        .create_secret(Name=f"someone-else-{uuid.uuid4().hex[:6]}", SecretString="{}")["ARN"]
    )
    with pytest.raises(ClientError) as denied:
        sm.get_secret_value(SecretId=other)
    assert denied.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException")


@pytest.mark.parametrize(
    ("sids", "action"),
    [
        (("BarsWrite",), "PutObject"),
        (("PipelineAnnounce",), "PutEvents"),
        (("ProviderKeysRead",), "GetSecretValue"),
    ],
)
def test_a_grant_removed_from_the_marketdata_role_fails_the_pipeline_step(
    enforced: dict[str, Any], local_runtime: Any, marketdata_policy_without: Any, sids: tuple[str, ...], action: str
) -> None:
    from signal_fixtures import publish_logistic_model

    from tradeloop_local.pipeline import run_pipeline

    # Given a live model (its universe is what is ingested) and the market-data role without one of its grants
    publish_logistic_model(enforced, "v-iam")
    marketdata_policy_without(*sids)
    # When the pipeline runs a session whose bars are not stored yet (a new instance: the secret is read anew)
    local_runtime.pools["marketdata"].close()
    local_runtime.pools["marketdata"] = type(local_runtime.pools["marketdata"])(
        "marketdata", local_runtime.pools["marketdata"]._env, 1
    )
    run = run_pipeline(local_runtime.pools, session=date(2013, 3, 1), log=lambda _: None)
    # Then the first step fails with AccessDenied naming the action, and no later step runs
    assert [s.name for s in run.steps] == ["ingest"] and run.stopped is not None
    assert "AccessDenied" in run.stopped and action in run.stopped, run.stopped
