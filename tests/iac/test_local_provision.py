"""The embedded stack provisioned by `terraform apply` of envs/local (TRADELOOP_PROVISION=terraform):
the API works on it exactly as on the Python bootstrap's stack."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from iac_support import TERRAFORM_DIR, Terraform

pytestmark = [pytest.mark.iac, pytest.mark.slow]


def _reset_caches() -> None:
    from tradeloop_common.dal import aws
    from tradeloop_common.settings import get_environment_variables

    get_environment_variables.cache_clear()
    aws.reset_clients()


@pytest.fixture(scope="module")
def terraform_stack(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh emulator, the stack applied to it by Terraform and seeded, the local runtime in front."""
    from tradeloop_local import stackctl
    from tradeloop_local.config import load_config
    from tradeloop_local.runtime import LocalRuntime

    state_dir = tmp_path_factory.mktemp("state")
    saved = dict(os.environ)
    os.environ.update(TRADELOOP_STATE_DIR=str(state_dir), TRADELOOP_PROVISION="terraform")
    # The emulator in its own process, as `make up` runs it: moto's backends are global to a process,
    # so an in-process emulator would already hold the session stack's tables, buckets and queues.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emulator = subprocess.Popen(
        [sys.executable, "-m", "tradeloop_local", "emulator", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    runtime = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(endpoint, timeout=2)
                break
            except requests.ConnectionError:
                if emulator.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the emulator did not start on {endpoint}") from None
                time.sleep(0.3)
        started = time.monotonic()
        messages: list[str] = []
        stack = stackctl.bootstrap(endpoint, load_config(), fresh=True, log=messages.append)
        elapsed = time.monotonic() - started
        print(f"terraform-provisioned embedded stack: {elapsed:.0f}s ({'; '.join(messages)})", file=sys.__stderr__)
        runtime = LocalRuntime(stack=stack, endpoint_url=endpoint, concurrency=1, poll=False).start()
        yield {"stack": stack, "api": runtime.api_url, "endpoint": endpoint, "state": state_dir, "log": messages}
    finally:
        if runtime is not None:
            runtime.stop()
        emulator.terminate()
        emulator.wait(timeout=10)
        os.environ.clear()
        os.environ.update(saved)
        _reset_caches()


def test_terraform_provisioning_gives_the_bootstrap_environment(terraform_stack: dict[str, Any]) -> None:
    from tradeloop_local.resources import lambda_environment

    # Given the stack applied by Terraform / Then its environment has the Python bootstrap's keys
    stack = terraform_stack["stack"]
    assert set(stack) == set(lambda_environment("q", "dlq"))
    assert stack["TRADELOOP_ORDERS_TABLE"] == "tradeloop-orders"
    assert (
        stack["TRADELOOP_ORDER_QUEUE_URL"] == f"{terraform_stack['endpoint']}/123456789012/tradeloop-order-intents.fifo"
    )
    assert any("terraform apply" in m for m in terraform_stack["log"])
    # And the stack file the runtime reads names them
    written = json.loads((terraform_stack["state"] / "stack.json").read_text())
    assert written == {"endpoint_url": terraform_stack["endpoint"], "environment": stack}
    # And Terraform's working copy and state stay under the state dir, none in the source tree
    assert (
        terraform_stack["state"] / "terraform" / "local" / "terraform" / "envs" / "local" / "terraform.tfstate"
    ).exists()
    assert not list(TERRAFORM_DIR.glob("**/.terraform")) and not list(TERRAFORM_DIR.glob("**/terraform.tfstate"))


def test_queue_redrives_to_its_dlq(terraform_stack: dict[str, Any]) -> None:
    stack = terraform_stack["stack"]
    sqs = boto3.client(
        "sqs",
        endpoint_url=terraform_stack["endpoint"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    attrs = sqs.get_queue_attributes(QueueUrl=stack["TRADELOOP_ORDER_QUEUE_URL"], AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":tradeloop-order-intents-dlq.fifo")
    assert int(redrive["maxReceiveCount"]) == 5 and attrs["FifoQueue"] == "true"


def test_post_order_fills_on_the_terraform_stack(terraform_stack: dict[str, Any]) -> None:
    api = terraform_stack["api"]
    # Given the seeded paper account / When buying 10 AAPL through the local router
    body = {"client_order_id": f"tf-{os.getpid()}", "symbol": "AAPL", "side": "BUY", "quantity": 10}
    r = requests.post(f"{api}/orders", json=body, timeout=60)
    # Then the order fills and is readable back, and cash moved
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "FILLED"
    assert requests.get(f"{api}/orders/{order['order_id']}", timeout=30).json() == order
    portfolio = requests.get(f"{api}/portfolio", timeout=30).json()
    assert [p["symbol"] for p in portfolio["positions"]] == ["AAPL"]
