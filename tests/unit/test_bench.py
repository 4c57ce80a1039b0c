"""The benchmark harness runs and its correctness guards hold (never its timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def _quick(tmp_path: Path, only: str, timeout: int) -> tuple[str, dict[str, Any]]:
    """``bench.py --quick --only=<only>``: its table and its figures."""
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench.py"), "--quick", f"--only={only}", f"--json={out}"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, json.loads(out.read_text())


@pytest.mark.slow  # the whole bench harness: in `make test`, not `make test-unit`
def test_bench_quick_prints_figures_beside_the_alternative(tmp_path: Path) -> None:
    table, figures = _quick(tmp_path, "backtest,features", 600)
    assert "tradeloop" in table and "alternative" in table and "vectorbt" in table
    assert figures["backtest_max_rel_diff"] <= 1e-9  # our backtest equals vectorbt, else figures are void
    assert figures["backtest_ours_s"] > 0 and figures["features_numpy_s"] > 0


@pytest.mark.slow  # an emulator, Terraform and a few worker processes: in `make test`, not `make test-unit`
def test_bench_quick_signal_section_compares_both_paths_on_the_same_decisions(tmp_path: Path) -> None:
    _, figures = _quick(tmp_path, "signal", 900)
    ours, theirs = figures["signal_50_3y_windows"], figures["signal_50_3y_per-symbol"]
    # all 50 symbols decided both ways (the harness stops when the paths disagree), each in a fresh process
    assert ours["targets"] == theirs["targets"] == 50
    # one ranged read per symbol, and the rows read in one batch where the old path asked per symbol
    assert ours["requests"]["s3:GetObject"] == 50
    assert ours["requests"]["dynamodb:BatchGetItem"] == 1 and theirs["requests"]["dynamodb:GetItem"] == 50
    assert figures["meta"]["commit"] and figures["meta"]["cores"] >= 1


def test_bench_rejects_an_unknown_section() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench.py"), "--only", "nope"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "unknown section" in proc.stderr
