"""`python -m ml report` (make ml-report): the last run's walk-forward table, aligned, and its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml.__main__ import main


def test_report_prints_the_runs_table_aligned_and_the_report_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a run directory holding its table
    run = tmp_path / "run-1"
    run.mkdir()
    table = {"header": ["model", "sharpe"], "rows": [["logistic", "+0.41"], ["buy_and_hold", "+0.39"]]}
    (run / "table.json").write_text(json.dumps(table))
    # When reported
    assert main(["report", "--run", str(run)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # Then every row is there, each column starting at the same offset, then where the report is
    assert [line.split() for line in lines[:3]] == [
        ["model", "sharpe"],
        ["logistic", "+0.41"],
        ["buy_and_hold", "+0.39"],
    ]
    assert {line.index(line.split()[1]) for line in lines[:3]} == {len("buy_and_hold") + 2}
    assert lines[3] == f"report: {(run / 'report.html').resolve()}"


def test_report_of_a_missing_run_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--run", str(tmp_path / "nope")]) == 2
    assert "table.json" in capsys.readouterr().err
