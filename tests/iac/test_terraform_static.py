"""fmt, validate, terraform test (mock provider) and the module conventions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from iac_support import REPO, TERRAFORM_DIR, Terraform

pytestmark = pytest.mark.iac

ROOTS = ["envs/aws", "envs/local"]
TEST_DIRS = sorted(str(p.parent.parent.relative_to(TERRAFORM_DIR)) for p in TERRAFORM_DIR.glob("**/tests/*.tftest.hcl"))
MODULES = sorted(p.name for p in (TERRAFORM_DIR / "modules").iterdir() if p.is_dir())


def test_terraform_fmt_is_clean(terraform: Terraform) -> None:
    # Given the repository's Terraform files / When fmt checks them / Then nothing needs rewriting
    proc = terraform.run(["fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM_DIR)], REPO, check=False)
    assert proc.returncode == 0, f"terraform fmt would change:\n{proc.stdout}"


@pytest.mark.parametrize("root", ROOTS)
def test_root_validates(terraform: Terraform, workspace: Path, root: str) -> None:
    terraform.init(workspace / root)
    proc = terraform.run(["validate", "-no-color"], workspace / root)
    assert "Success" in proc.stdout


def test_every_module_and_root_has_terraform_tests() -> None:
    expected = {f"modules/{m}" for m in MODULES} | set(ROOTS)
    assert expected <= set(TEST_DIRS), f"missing *.tftest.hcl in {sorted(expected - set(TEST_DIRS))}"


@pytest.mark.parametrize("directory", TEST_DIRS)
def test_terraform_test_passes(terraform: Terraform, workspace: Path, directory: str) -> None:
    # Given a module or root with *.tftest.hcl (mock_provider "aws") / When terraform test runs
    # / Then every run block passes: the invariants (AWS_IAM routes, log retention, encrypted
    # versioned private buckets, DLQs, no "*" IAM actions) hold.
    cwd = workspace / directory
    terraform.init(cwd)
    proc = terraform.run(["test", "-no-color"], cwd, check=False)
    assert proc.returncode == 0 and "Success!" in proc.stdout, proc.stdout[-8000:] + proc.stderr[-4000:]
    assert " 0 failed" in proc.stdout


@pytest.mark.parametrize("module", MODULES)
def test_module_has_standard_files(module: str) -> None:
    names = {p.name for p in (TERRAFORM_DIR / "modules" / module).glob("*.tf")}
    assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf"} <= names


def _blocks(text: str, kind: str) -> dict[str, str]:
    """Top-level `kind "name" { ... }` blocks (the files are terraform fmt'ed: closing brace at column 0)."""
    return {m.group(1): m.group(2) for m in re.finditer(rf'^{kind} "([^"]+)" \{{\n(.*?)^\}}', text, re.M | re.S)}


@pytest.mark.parametrize("directory", [f"modules/{m}" for m in MODULES] + ROOTS)
def test_variables_are_typed_described_and_defaulted(directory: str) -> None:
    text = (TERRAFORM_DIR / directory / "variables.tf").read_text()
    variables = _blocks(text, "variable")
    assert variables
    for name, body in variables.items():
        for attribute in ("description", "type", "default"):
            assert re.search(rf"^  {attribute}\s*=", body, re.M), f"{directory}: variable {name} lacks {attribute}"


@pytest.mark.parametrize("directory", [f"modules/{m}" for m in MODULES] + ROOTS)
def test_outputs_are_described(directory: str) -> None:
    outputs = _blocks((TERRAFORM_DIR / directory / "outputs.tf").read_text(), "output")
    assert outputs
    for name, body in outputs.items():
        assert re.search(r"^  description\s*=", body, re.M), f"{directory}: output {name} lacks a description"


def test_provider_floor_admits_the_mirrored_version() -> None:
    for versions in TERRAFORM_DIR.glob("**/versions.tf"):
        constraint = re.search(r'version\s*=\s*"([^"]+)"', versions.read_text().split("hashicorp/aws", 1)[1]).group(1)
        assert constraint.startswith(">= 5."), f"{versions}: {constraint}"
        assert "< 6.0" in constraint or "," not in constraint, f"{versions}: {constraint} must admit 5.100.0"


def test_no_machine_path_in_the_repository() -> None:
    # The provider mirror is found at run time; its location is never written into the repo.
    owned = [*TERRAFORM_DIR.glob("**/*.tf"), *TERRAFORM_DIR.glob("**/*.hcl"), *TERRAFORM_DIR.glob("**/*.example")]
    owned += [REPO / "scripts" / "terraform_env.sh", REPO / "mk" / "terraform.mk", REPO / "docs" / "deploy.md"]
    for path in owned:
        if path.exists():
            text = path.read_text()
            assert "/opt/tf-plugins" not in text and "/root/" not in text, path
