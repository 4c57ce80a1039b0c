"""Conversions between domain models and DynamoDB attribute values."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from tradeloop_common.errors import BadRequestError

_SER = TypeSerializer()
_DE = TypeDeserializer()


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _SER.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DE.deserialize(v) for k, v in item.items()}


def encode_token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


def decode_token(token: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
        if not isinstance(key, dict):
            raise ValueError("not an object")
        return key
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(
            "next_token is not a token this API issued",
            [{"field": "next_token", "fix": "pass the next_token value from the previous page unchanged"}],
        ) from exc


def as_int(value: Any) -> int:
    return int(value) if isinstance(value, Decimal | int) else int(Decimal(str(value)))
