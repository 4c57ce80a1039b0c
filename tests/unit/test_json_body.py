"""A body sent as a form (``curl -d`` without a header) is refused with 400 saying which header to
send, and the README's curl example sends it."""

from __future__ import annotations

import json
import re

import pytest

from ml.config import REPO_ROOT
from tradeloop_common.api import check_raw_body

BODY = '{"as_of": "2012-06-01"}'


def _event(headers: dict[str, str]) -> dict[str, object]:
    return {"version": "2.0", "headers": headers, "body": BODY, "isBase64Encoded": False}


def test_a_json_body_sent_as_a_form_is_400_naming_the_header_to_send() -> None:
    # Given the request `curl -XPOST .../signals/run -d '{...}'` makes (form content type)
    rejected = check_raw_body(_event({"content-type": "application/x-www-form-urlencoded"}))
    # Then it is refused with 400, and the fix is the JSON content-type header
    assert rejected is not None and rejected["statusCode"] == 400
    (detail,) = json.loads(str(rejected["body"]))["error"]["details"]
    assert detail["field"] == "content-type" and "Content-Type: application/json" in detail["fix"]


@pytest.mark.parametrize(
    "headers", [{"content-type": "application/json"}, {"Content-Type": "application/json; charset=utf-8"}, {}]
)
def test_a_json_body_with_the_json_header_or_none_passes(headers: dict[str, str]) -> None:
    assert check_raw_body(_event(headers)) is None


def test_the_readme_curl_posts_send_the_json_content_type() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    posts = [line for line in readme.splitlines() if re.search(r"curl .*-XPOST", line)]
    assert posts, "the README shows a curl POST"
    for line in posts:
        assert re.search(r"-H '(?i:content-type): application/json'", line), line
