"""Secrets Manager: a secret's JSON value (the market-data provider's keys in AWS)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tradeloop_common.dal.aws import client
from tradeloop_common.errors import ConfigurationError


def secret_json(secret_id: str) -> dict[str, Any]:
    try:
        value = client("secretsmanager").get_secret_value(SecretId=secret_id)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise ConfigurationError(f"cannot read secret {secret_id}: {code}: {exc}") from exc
    text = value.get("SecretString")
    try:
        data = json.loads(text or "")
    except ValueError as exc:
        raise ConfigurationError(f"secret {secret_id} holds no JSON object (put one: see README)") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"secret {secret_id} holds no JSON object (put one: see README)")
    return data
