"""Publishing and the model registry against the emulator (moto over HTTP): ONNX parity,
immutable versions, gated promotion, rollback, corrupt models, and the concurrent-promote race."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ml_fixtures import ml_buckets, tiny_config

from ml import pipeline
from ml.publish import ParityError, convert_and_check
from ml.registry import PromotionConflict, PromotionRefused, Registry, RegistryError


@pytest.fixture(scope="module")
def s3_env(aws_env: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with ml_buckets(tmp_path_factory.mktemp("mlwork")) as names:
        yield names


@pytest.fixture(scope="module")
def packaged(s3_env: dict[str, str]) -> Path:
    """One tiny trained and packaged run (model.h5, model.onnx, manifest, report) from the sample data."""
    cfg = tiny_config()
    run_dir, _ = pipeline.evaluate(cfg, "sample", log=lambda _: None)
    pipeline.train(run_dir, log=lambda _: None)
    pipeline.package(run_dir, log=lambda _: None)
    # These tests are about the registry, not the model: the gate verdict is set by each test
    # (a tiny model's real verdict is a coin flip), passing unless a test asks for a failing one.
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["gate"].update(passed=True, reasons=[])
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    return run_dir


def _variant(packaged: Path, tmp: Path, gate_passed: bool = True, corrupt: bool = False) -> Path:
    """A copy of the packaged run, optionally with a failing gate or a corrupted model.onnx."""
    folder = tmp / f"v-{gate_passed}-{corrupt}"
    shutil.copytree(packaged, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["gate"].update(passed=gate_passed, reasons=[] if gate_passed else ["set by the test"])
    (folder / "manifest.json").write_text(json.dumps(manifest))
    if corrupt:
        data = bytearray((folder / "model.onnx").read_bytes())
        data[-10] ^= 0xFF
        (folder / "model.onnx").write_bytes(bytes(data))
    return folder


@pytest.fixture
def registry(s3_env: dict[str, str]) -> Registry:
    # One model name per test: each test starts with no LATEST.
    return Registry(name=f"{s3_env['TRADELOOP_MODEL_NAME']}-{uuid.uuid4().hex[:8]}")


def test_packaged_run_has_every_artifact_and_manifest_field(packaged: Path) -> None:
    for f in (
        "model.h5",
        "model.onnx",
        "manifest.json",
        "report.html",
        "equity.png",
        "drawdown.png",
        "calibration.png",
    ):
        assert (packaged / f).stat().st_size > 0, f
    m = json.loads((packaged / "manifest.json").read_text())
    for key in (
        "name",
        "version",
        "created_at",
        "features",
        "lookback",
        "label",
        "scaler",
        "training_data",
        "artifacts",
        "onnx_parity",
        "walk_forward",
        "baselines",
        "gate",
        "code_version",
        "library_versions",
        "policy",
        "costs",
    ):
        assert key in m, key
    assert m["onnx_parity"]["max_abs_diff"] <= 1e-5
    assert len(m["walk_forward"]["per_fold"]) == 2 and "auc" in m["walk_forward"]["overall"]
    assert {"logistic", "buy_and_hold"} <= set(m["baselines"])
    assert len(m["training_data"]["sha256"]) == 64 and len(m["artifacts"]["model.onnx"]["sha256"]) == 64
    assert len(m["scaler"]["mean"]) == len(m["features"]["names"])
    assert "<img" in (packaged / "report.html").read_text()


@pytest.mark.parametrize("kind", ["mlp", "conv_lstm"])
def test_onnx_matches_keras_for_both_candidates(kind: str, s3_env: dict[str, str], tmp_path: Path) -> None:
    from ml.dataset import sample_bars
    from ml.features import build_samples
    from ml.modeling.train import fit_candidate

    # Given a small fitted candidate saved as the model of record
    cfg = tiny_config(epochs=1)
    samples = build_samples({"IBM": sample_bars("IBM")}, cfg.label, cfg.window)
    fitted = fit_candidate(kind, samples.take(np.arange(600)), cfg)
    fitted.model.save(tmp_path / "model.h5")
    batch = fitted.inputs(samples.take(np.arange(600, 900)))
    # When it is converted; Then ONNX agrees with Keras within 1e-5
    parity = convert_and_check(tmp_path / "model.h5", tmp_path / "model.onnx", batch)
    assert parity["max_abs_diff"] <= 1e-5 and parity["rows"] == 300
    # And a tolerance it cannot meet makes publishing refuse and leaves no ONNX file behind
    with pytest.raises(ParityError, match="refusing"):
        convert_and_check(tmp_path / "model.h5", tmp_path / "model.onnx", batch, tolerance=-1.0)
    assert not (tmp_path / "model.onnx").exists()


def test_promote_then_rollback_moves_latest(registry: Registry, packaged: Path) -> None:
    # Given two uploaded versions
    registry.upload("v1", packaged)
    registry.upload("v2", packaged)
    assert registry.versions() == ["v1", "v2"] and registry.live_version() is None
    # When v1 then v2 are promoted
    registry.promote("v1")
    pointer = registry.promote("v2")
    # Then LATEST names v2 with v1 as history, readable by the services' reader too
    assert pointer["version"] == "v2" and pointer["history"] == ["v1"]
    from tradeloop_common.dal.registry import read_live_version

    assert read_live_version(registry.bucket, registry.name) == "v2"
    # When rolled back; Then v1 is live again with nothing left to roll back to
    back = registry.rollback()
    assert back["version"] == "v1" and back["rolled_back_from"] == "v2" and registry.live_version() == "v1"
    with pytest.raises(PromotionRefused, match="nothing to roll back"):
        registry.rollback()
    # And promoting the live version again is a no-op
    assert registry.promote("v1")["version"] == "v1"


def test_gate_refuses_a_model_that_failed_the_gate_unless_forced(
    registry: Registry, packaged: Path, tmp_path: Path
) -> None:
    registry.upload("weak", _variant(packaged, tmp_path, gate_passed=False))
    with pytest.raises(PromotionRefused, match=r"did not pass the promotion gate \(set by the test\)"):
        registry.promote("weak")
    assert registry.live_version() is None  # nothing written
    assert registry.promote("weak", force=True)["action"] == "force-promote"
    assert registry.live_version() == "weak"


def test_corrupt_or_missing_model_is_never_promoted(registry: Registry, packaged: Path, tmp_path: Path) -> None:
    registry.upload("good", packaged)
    registry.promote("good")
    registry.upload("bad", _variant(packaged, tmp_path, corrupt=True))
    with pytest.raises(PromotionRefused, match="sha256"):
        registry.promote("bad", force=True)
    with pytest.raises(PromotionRefused, match="no such version"):
        registry.promote("never-uploaded", force=True)
    assert registry.live_version() == "good"


def test_versions_are_immutable(registry: Registry, packaged: Path) -> None:
    registry.upload("v1", packaged)
    with pytest.raises(RegistryError, match="immutable"):
        registry.upload("v1", packaged)


@pytest.mark.parametrize("racers", [2, 5])
def test_concurrent_promotions_exactly_one_wins(registry: Registry, packaged: Path, racers: int) -> None:
    # Given a live version and several candidates
    registry.upload("base", packaged)
    registry.promote("base")
    versions = [f"c{i}" for i in range(racers)]
    for v in versions:
        registry.upload(v, packaged)
    # When all promoters read LATEST, then all write at once (the barrier lines them up)
    barrier = threading.Barrier(racers, timeout=30)
    outcomes: dict[str, str] = {}

    def promote(version: str) -> None:
        try:
            Registry(bucket=registry.bucket, name=registry.name).promote(version, before_write=barrier.wait)
            outcomes[version] = "won"
        except PromotionConflict:
            outcomes[version] = "conflict"

    threads = [threading.Thread(target=promote, args=(v,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # Then exactly one wins, the others get a conflict, and LATEST names the winner
    winners = [v for v, o in outcomes.items() if o == "won"]
    assert len(outcomes) == racers and len(winners) == 1, outcomes
    pointer, _ = registry.read_latest()
    assert pointer is not None and pointer["version"] == winners[0] and pointer["history"] == ["base"]


def test_rollback_racing_a_promotion_exactly_one_wins(registry: Registry, packaged: Path) -> None:
    for v in ("a", "b", "c"):
        registry.upload(v, packaged)
    registry.promote("a")
    registry.promote("b")
    barrier = threading.Barrier(2, timeout=30)
    results: list[str] = []

    def run(action: str) -> None:
        reg = Registry(bucket=registry.bucket, name=registry.name)
        try:
            (reg.rollback if action == "rollback" else lambda **kw: reg.promote("c", **kw))(before_write=barrier.wait)
            results.append(action)
        except PromotionConflict:
            results.append("conflict")

    threads = [threading.Thread(target=run, args=(a,)) for a in ("rollback", "promote")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results)[0] == "conflict" and len(results) == 2
    winner = next(r for r in results if r != "conflict")
    assert registry.live_version() == ("a" if winner == "rollback" else "c")


def test_cli_promote_and_rollback_exit_codes(
    registry: Registry,
    packaged: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ml.__main__ import EXIT_REFUSED, main

    monkeypatch.setenv("TRADELOOP_MODEL_NAME", registry.name)
    registry.upload("ok", packaged)
    registry.upload("weak", _variant(packaged, tmp_path, gate_passed=False))
    assert main(["promote", "ok"]) == 0
    assert main(["promote", "weak"]) == EXIT_REFUSED
    assert "did not pass the promotion gate (set by the test)" in capsys.readouterr().err
    assert main(["promote", "weak", "--force"]) == 0
    assert main(["rollback"]) == 0 and registry.live_version() == "ok"
    assert main(["versions"]) == 0 and "* ok" in capsys.readouterr().out
