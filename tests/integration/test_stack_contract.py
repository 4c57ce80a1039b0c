"""The stack the tests run on is the one Terraform makes (terraform/modules/stack, applied by
envs/local), and the boto3 bootstrap that stands in where Terraform cannot run creates the same
tables (services/tables.json) under the same names."""

from __future__ import annotations

import json
from typing import Any

from tradeloop_common.settings import Settings
from tradeloop_local.resources import lambda_environment, table_specs


def _shape(description: dict[str, Any]) -> dict[str, Any]:
    return {
        "keys": sorted((k["AttributeName"], k["KeyType"]) for k in description["KeySchema"]),
        "gsis": sorted(
            (g["IndexName"], tuple(sorted((k["AttributeName"], k["KeyType"]) for k in g["KeySchema"])))
            for g in description.get("GlobalSecondaryIndexes", [])
        ),
    }


def test_the_stack_is_terraforms(aws_env: dict[str, Any]) -> None:
    info = aws_env["info"]
    if info.provisioned_by != "terraform":
        import pytest

        pytest.skip("SKIPPED: Terraform could not run here; the stack is the Python bootstrap's")
    # Given the tests' stack / Then every service has its role and its Lambda environment
    assert set(info.functions) == {"order", "portfolio", "signal", "marketdata"}
    assert all(f.environment["TRADELOOP_ACCOUNT_ID"] == "paper" for f in info.functions.values())


def test_python_bootstrap_names_and_shapes_what_terraform_makes(aws_env: dict[str, Any]) -> None:
    # Given the resource names and tables of the running stack
    stack = aws_env["stack"]
    assert set(stack) == set(lambda_environment("q", "dlq"))
    ddb = aws_env["session"].client("dynamodb")
    # Then the bootstrap's CreateTable requests (from services/tables.json) match them table by table
    for spec in table_specs(Settings()):
        live = ddb.describe_table(TableName=spec["TableName"])["Table"]
        assert _shape(live) == _shape(spec), spec["TableName"]


def test_queue_redrives_to_its_dlq(aws_env: dict[str, Any]) -> None:
    sqs = aws_env["session"].client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=aws_env["stack"]["TRADELOOP_ORDER_QUEUE_URL"], AttributeNames=["All"])[
        "Attributes"
    ]
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":tradeloop-order-intents-dlq.fifo")
    assert int(redrive["maxReceiveCount"]) == 5 and attrs["FifoQueue"] == "true"
    assert aws_env["stack"]["TRADELOOP_ORDER_DLQ_URL"].endswith("/tradeloop-order-intents-dlq.fifo")
