"""Read side of the model registry: which version is live (``models/<name>/LATEST``)."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from tradeloop_common.dal.aws import client


def latest_key(model_name: str) -> str:
    return f"models/{model_name}/LATEST"


def read_live_version(bucket: str, model_name: str) -> str | None:
    try:
        obj = client("s3").get_object(Bucket=bucket, Key=latest_key(model_name))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    text = obj["Body"].read().decode().strip()
    if text.startswith("{"):  # a JSON pointer {"version": ...} is accepted as well as a bare version
        return str(json.loads(text).get("version") or "") or None
    return text or None
