"""The benchmark harness runs and its correctness guards hold (never its timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # the whole bench harness: in `make test`, not `make test-unit`
def test_bench_quick_prints_figures_beside_the_alternative(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench.py"), "--quick", "--only=backtest,features", f"--json={out}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "tradeloop" in proc.stdout and "alternative" in proc.stdout and "vectorbt" in proc.stdout
    figures = json.loads(out.read_text())
    assert figures["backtest_max_rel_diff"] <= 1e-9  # our backtest equals vectorbt, else figures are void
    assert figures["backtest_ours_s"] > 0 and figures["features_numpy_s"] > 0


def test_bench_rejects_an_unknown_section() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench.py"), "--only", "nope"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "unknown section" in proc.stderr
