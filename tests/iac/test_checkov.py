"""checkov on terraform/: zero failed checks; every skip is inline with a written reason."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from iac_support import IAC_VENV, REPO, TERRAFORM_DIR, loud_skip

from tests.utils import loud

pytestmark = pytest.mark.iac


@pytest.fixture(scope="module")
def checkov_report() -> dict:
    checkov = IAC_VENV / "bin" / "checkov"
    if not checkov.exists():
        # scripts/iac_tools.sh installs it into .venv-iac (idempotent; `make iac-tools`).
        proc = subprocess.run(["bash", str(REPO / "scripts" / "iac_tools.sh")], capture_output=True, text=True)
        if proc.returncode != 0 or not checkov.exists():
            loud_skip(f"checkov could not be installed by scripts/iac_tools.sh: {proc.stderr.strip()[-300:]}")
    proc = subprocess.run(
        [str(checkov), "-d", str(TERRAFORM_DIR), "--framework", "terraform", "-o", "json", "--skip-download"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    return report[0] if isinstance(report, list) else report


def test_checkov_has_no_failed_checks(checkov_report: dict) -> None:
    summary = checkov_report["summary"]
    loud(f"checkov: passed={summary['passed']} failed={summary['failed']} skipped={summary['skipped']}")
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert summary["failed"] == 0, "\n".join(failed)
    assert summary["passed"] > 100


def test_every_checkov_skip_is_inline_with_a_reason(checkov_report: dict) -> None:
    for check in checkov_report["results"]["skipped_checks"]:
        reason = check.get("check_result", {}).get("suppress_comment", "")
        assert len(reason) > 15, f"{check['check_id']} on {check['resource']} is skipped without a reason"
    # And every inline skip in the sources has the form #checkov:skip=CKV_...:<reason>.
    for tf in TERRAFORM_DIR.glob("**/*.tf"):
        for line in tf.read_text().splitlines():
            if "checkov:skip" in line:
                assert re.search(r"#checkov:skip=CKV2?_AWS_\d+:.{15,}", line), f"{tf}: {line.strip()}"
