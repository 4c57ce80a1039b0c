"""Conversions between domain models and DynamoDB attribute values."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
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


MAX_TOKEN_VALUE = 512  # longer than any key part we write (ISO time + "#" + uuid)


def decode_start_key(token: str, fields: tuple[str, ...], fixed: Mapping[str, str]) -> dict[str, str]:
    """The ExclusiveStartKey inside a ``next_token``, if it is one this API could have issued for this
    query: exactly ``fields``, each a short non-empty string, and ``fixed`` (the partition the query
    reads, e.g. the account) equal. Anything else is the client's mistake (400), never the store's:
    unchecked, a float became a 500 and a missing key a 503."""
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_token() from exc
    if not (
        isinstance(key, dict)
        and set(key) == set(fields)
        and all(isinstance(v, str) and 0 < len(v) <= MAX_TOKEN_VALUE for v in key.values())
        and all(key[name] == value for name, value in fixed.items())
    ):
        raise _bad_token()
    return key


def _bad_token() -> BadRequestError:
    return BadRequestError(
        "next_token is not a token this API issued for this query",
        [{"field": "next_token", "fix": "pass the next_token of the previous page unchanged, with the same filters"}],
    )


def as_int(value: Any) -> int:
    return int(value) if isinstance(value, Decimal | int) else int(Decimal(str(value)))
