"""`make train-and-publish` and the other ml targets send their AWS calls somewhere on purpose:
the running local stack, or what the environment names, or nowhere with one line saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeloop_local.cli import main


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No local stack, no AWS configuration of any kind."""
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TRADELOOP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_without_a_stack_or_credentials_it_says_what_to_run(nowhere: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["target"]) == 2
    out = capsys.readouterr()
    assert out.out == ""  # nothing for the Makefile to eval
    assert "make up" in out.err and "AWS_PROFILE" in out.err and len(out.err.strip().splitlines()) == 1


def test_a_named_target_is_left_alone(
    nowhere: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "trading")
    assert main(["target"]) == 0
    assert capsys.readouterr().out == ""
