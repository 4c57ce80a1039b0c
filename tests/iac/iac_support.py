"""Helpers of the infrastructure tests (constants, the Terraform runner, the loud skip)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.utils import loud

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "terraform"
FIXTURE_ZIPS = TERRAFORM_DIR / "tests" / "fixtures" / "lambda"
IAC_VENV = REPO / ".venv-iac"


def loud_skip(why: str) -> None:
    """Skip with one line on the real stderr (pytest's capture would hide a print)."""
    loud(f"SKIPPED: {why}")
    pytest.skip(f"SKIPPED: {why}")


@dataclass
class Terraform:
    binary: str
    env: dict[str, str]

    def run(self, args: list[str], cwd: Path, timeout: int = 600, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [self.binary, *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} (in {cwd}) exited {proc.returncode}\n"
                f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
            )
        return proc

    def init(self, cwd: Path, backend: bool = False) -> None:
        args = ["init", "-input=false", "-no-color"]
        if not backend:
            args.append("-backend=false")
        self.run(args, cwd)
