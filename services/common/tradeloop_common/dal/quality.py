"""Quality reports and corrections, beside the data: ``quality/`` in the data bucket (keys:
``tradeloop_common.layout``).

- ``quality/latest.json``: the report of the latest ingest (what ``GET /marketdata/quality`` serves);
- ``quality/sessions/<YYYY-MM-DD>.json``: the market-data service's ingest of that session;
- ``quality/reports/<UTC time>-<source>.json``: a CLI ingest (``python -m ml ingest``);
- ``quality/corrections/<SYMBOL>/<date>-<sha8>.json``: a restated bar, recorded once (the stored
  bar is kept: decisions were made on it; ``ml ingest --replace`` replaces a series on purpose).

A report is written only when its content changed, so re-running a session writes nothing."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tradeloop_common.dal.aws import client, object_exists
from tradeloop_common.errors import NotFoundError, StoreError
from tradeloop_common.layout import QUALITY_LATEST_KEY


def _body(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()


class QualityStore:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    def _get(self, key: str) -> bytes | None:
        # AWS answers a GET of a missing key with 403 unless the caller may list the bucket; the role
        # may list this prefix only, so look first (the same answer, without a broad grant).
        if not object_exists(self._bucket, key):
            return None
        try:
            return bytes(client("s3").get_object(Bucket=self._bucket, Key=key)["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "") in ("NoSuchKey", "404"):
                return None
            raise StoreError(f"reading s3://{self._bucket}/{key} failed: {exc}") from exc

    def put_if_changed(self, key: str, document: dict[str, Any]) -> bool:
        """Write ``document`` unless the object already holds exactly it; True when written."""
        body = _body(document)
        if self._get(key) == body:
            return False
        try:
            client("s3").put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")
        except ClientError as exc:
            raise StoreError(f"writing s3://{self._bucket}/{key} failed: {exc}") from exc
        return True

    def get(self, key: str) -> dict[str, Any] | None:
        body = self._get(key)
        return None if body is None else dict(json.loads(body))

    def latest(self) -> dict[str, Any]:
        body = self._get(QUALITY_LATEST_KEY)
        if body is None:
            raise NotFoundError(
                "no quality report yet: nothing was ingested since quality reports exist",
                [
                    {
                        "field": "quality",
                        "fix": "run the daily pipeline (make pipeline SESSION=...) or python -m ml ingest",
                    }
                ],
            )
        return dict(json.loads(body))
