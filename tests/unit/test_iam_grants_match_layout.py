"""The S3 grants of terraform/modules/stack/services.tf and the keys of tradeloop_common.layout say
the same thing: every key the services read or write falls under a grant, and every grant names
keys the layout makes (a grant nothing uses is a permission too many).

The layout is the one home of the keys; IAM needs them as literal patterns, so they are written
twice. This keeps the two from drifting without waiting for the IAM-enforcing integration tests
(which would fail with AccessDenied, minutes later and less plainly)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from tradeloop_common import layout

SERVICES_TF = Path(__file__).resolve().parents[2] / "terraform" / "modules" / "stack" / "services.tf"
MODEL = "direction"  # any model name: the grants name it through var.model_name
RESOURCE = re.compile(r'"\$\{local\.(data|models)_bucket\}/([^"]+)"')
LIST_PREFIX = re.compile(r'variable = "s3:prefix", values = \["([^"]+)"\]')


def _grants() -> dict[str, set[str]]:
    """Object patterns granted, per bucket, with the model's name filled in."""
    text = SERVICES_TF.read_text()
    grants: dict[str, set[str]] = {"data": set(), "models": set()}
    for bucket, pattern in RESOURCE.findall(text):
        grants[bucket].add(pattern.replace("${var.model_name}", MODEL))
    return grants


def _keys() -> dict[str, list[str]]:
    """One example of every key the layout makes, per bucket."""
    at = datetime(2026, 11, 30, tzinfo=UTC)
    return {
        "data": [
            layout.bars_key("aapl"),
            layout.QUALITY_LATEST_KEY,
            layout.quality_session_key("2026-11-27"),
            layout.quality_report_key("stooq", at),
            layout.correction_key("aapl", "2026-11-27", {"close": "1"}),
        ],
        "models": [
            layout.latest_key(MODEL),
            layout.version_key(MODEL, "20261130T000000Z-abcdef12", "manifest.json"),
            layout.version_key(MODEL, "20261130T000000Z-abcdef12", "model.h5"),
        ],
    }


@pytest.mark.parametrize("bucket", ["data", "models"])
def test_every_key_of_the_layout_falls_under_a_grant(bucket: str) -> None:
    grants = _grants()[bucket]
    assert grants, f"no {bucket} bucket grants found in {SERVICES_TF}: the pattern needs updating"
    ungranted = [k for k in _keys()[bucket] if not any(fnmatchcase(k, g) for g in grants)]
    assert ungranted == [], f"keys no role may touch: {ungranted}; grants: {sorted(grants)}"


@pytest.mark.parametrize("bucket", ["data", "models"])
def test_every_grant_names_keys_the_layout_makes(bucket: str) -> None:
    keys = _keys()[bucket]
    unused = [g for g in sorted(_grants()[bucket]) if not any(fnmatchcase(k, g) for k in keys)]
    assert unused == [], f"grants on keys the layout never makes: {unused}"


def test_list_grants_are_the_layout_prefixes() -> None:
    """ListBucket is granted per prefix (a missing object is a 404, not a 403, only to who may list)."""
    prefixes = set(LIST_PREFIX.findall(SERVICES_TF.read_text()))
    top = {layout.BARS_PREFIX.split("/")[0], layout.QUALITY_PREFIX.split("/")[0], layout.MODELS_PREFIX.split("/")[0]}
    assert {p.split("/")[0] for p in prefixes} == top, prefixes
    for prefix in prefixes:
        assert prefix.endswith("/*"), prefix
