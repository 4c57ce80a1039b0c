"""Read side of the model registry: which version is live (``models/<name>/LATEST``) and its files."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from botocore.exceptions import ClientError

from tradeloop_common.dal.aws import client
from tradeloop_common.errors import StoreError
from tradeloop_common.layout import latest_key, pointer_fields, version_key
from tradeloop_common.settings import get_settings


def _parse_pointer(text: str) -> str | None:
    return str(pointer_fields(text).get("version") or "") or None


def read_live_version(bucket: str, model_name: str) -> str | None:
    try:
        obj = client("s3").get_object(Bucket=bucket, Key=latest_key(model_name))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in ("NoSuchKey", "404"):
            return None
        raise StoreError(f"reading {latest_key(model_name)} failed: {code}") from exc
    return _parse_pointer(obj["Body"].read().decode())


@dataclass(frozen=True)
class LivePointer:
    version: str | None  # None: LATEST exists but names no version
    etag: str
    action: str | None = None  # promote | force-promote | rollback (JSON pointers only)
    promoted_at: str | None = None


class ArtifactMissingError(StoreError):
    """A file of a model version is not in the bucket."""

    status = 404
    code = "not_found"


class ModelStore:
    """``models/<name>/...`` in the models bucket."""

    def __init__(self, bucket: str, model_name: str) -> None:
        self.bucket = bucket
        self.model_name = model_name

    def live(self, if_none_match: str | None = None) -> LivePointer | None | bool:
        """The LATEST pointer; ``None`` when there is no live model; ``False`` when it still has
        the ETag ``if_none_match`` (a 304: nothing transferred)."""
        kwargs = {"Bucket": self.bucket, "Key": latest_key(self.model_name)}
        if if_none_match:
            kwargs["IfNoneMatch"] = if_none_match
        try:
            obj = client("s3").get_object(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if if_none_match and code in ("304", "NotModified"):
                return False
            if code in ("NoSuchKey", "404", "NoSuchBucket"):
                return None
            raise StoreError(f"reading {latest_key(self.model_name)} failed: {code}") from exc
        try:
            fields = pointer_fields(obj["Body"].read().decode())
        except (ValueError, UnicodeDecodeError):
            fields = {}
        return LivePointer(
            version=str(fields.get("version") or "") or None,
            etag=obj["ETag"],
            action=fields.get("action"),
            promoted_at=fields.get("promoted_at"),
        )

    def read(self, version: str, filename: str) -> bytes:
        key = version_key(self.model_name, version, filename)
        try:
            return bytes(client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NoSuchBucket"):
                raise ArtifactMissingError(f"s3://{self.bucket}/{key} does not exist") from exc
            raise StoreError(f"reading s3://{self.bucket}/{key} failed: {code}") from exc

    def presigned_url(self, version: str, filename: str, expires_in: int) -> str:
        return str(
            client("s3").generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": version_key(self.model_name, version, filename)},
                ExpiresIn=expires_in,
            )
        )


@lru_cache
def get_model_store() -> ModelStore:
    settings = get_settings()
    return ModelStore(settings.models_bucket, settings.model_name)
