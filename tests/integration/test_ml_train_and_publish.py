"""End to end against the emulator over HTTP: ingest, `make train-and-publish`, and serving the
published artifact with onnxruntime + numpy exactly as training scored it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from ml_fixtures import TINY_ARGS, ml_buckets

from ml import dataset, pipeline
from ml.config import REPO_ROOT, LabelSpec

SERVICES_COMMON = REPO_ROOT / "services" / "common"


@pytest.fixture(scope="module")
def s3_env(aws_env: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with ml_buckets(tmp_path_factory.mktemp("mlwork")) as names:
        yield names


def test_ingest_sample_stores_validated_bars_once(s3_env: dict[str, str]) -> None:
    # Given an empty data bucket; When the sample is ingested
    uris = pipeline.ingest("sample", ["IBM"], log=lambda _: None)
    # Then the documented key holds the validated, adjusted bars
    assert uris == [f"s3://{s3_env['TRADELOOP_DATA_BUCKET']}/bars/daily/IBM.csv"]
    body = boto3.client("s3").get_object(Bucket=s3_env["TRADELOOP_DATA_BUCKET"], Key="bars/daily/IBM.csv")
    text = body["Body"].read().decode()
    assert text.startswith("date,open,high,low,close,volume\n2000-03-01,")
    assert dataset.get_bars("IBM").to_csv() == dataset.sample_bars("IBM").to_csv() == text
    # And ingest-if-missing skips what is there
    assert pipeline.ingest("sample", ["IBM"], if_missing=True, log=lambda _: None) == []
    assert dataset.missing_symbols(["IBM", "MSFT"]) == ["MSFT"]


def test_cli_ingest_of_a_bad_csv_names_file_row_and_column(
    s3_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ml.__main__ import EXIT_BAD_INPUT, main

    bad = tmp_path / "XYZ.csv"
    bad.write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,1,1.5,10\n2024-01-03,1,2,1,oops,10\n")
    assert main(["ingest", "--source", "csv", "--path", str(bad)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert str(bad) in err and "row 3" in err and "column 'close'" in err
    assert dataset.missing_symbols(["XYZ"]) == ["XYZ"]  # nothing written


def _make(target: str, env: dict[str, str], *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", "mk/ml.mk", target, f"PY={sys.executable}", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_make_train_and_publish_end_to_end(s3_env: dict[str, str]) -> None:
    env = dict(os.environ)
    bucket, name = s3_env["TRADELOOP_MODELS_BUCKET"], s3_env["TRADELOOP_MODEL_NAME"]
    # When the make target runs against the emulator (AWS_ENDPOINT_URL) on a fresh bucket pair
    t0 = time.perf_counter()
    proc = _make("train-and-publish", env, "FORCE=1", f"ML_ARGS={TINY_ARGS}")
    elapsed = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # Then it ingested, printed the walk-forward table and promoted the new version
    out = proc.stdout
    assert "[ingest] MSFT" in out and "walk-forward (out of sample, after costs" in out
    assert "buy_and_hold" in out and "logistic" in out and "[promote] LATEST ->" in out
    s3 = boto3.client("s3")
    latest = json.loads(s3.get_object(Bucket=bucket, Key=f"models/{name}/LATEST")["Body"].read())
    version = latest["version"]
    prefix = f"models/{name}/{version}/"
    keys = {o["Key"][len(prefix) :] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]}
    assert keys == {
        "model.h5",
        "model.onnx",
        "manifest.json",
        "report.html",
        "equity.png",
        "drawdown.png",
        "calibration.png",
    }
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=prefix + "manifest.json")["Body"].read())
    assert manifest["version"] == version and manifest["name"] == name
    assert manifest["training_data"]["source"] == f"s3://{s3_env['TRADELOOP_DATA_BUCKET']}/bars/daily/"
    assert latest["action"] == ("promote" if manifest["gate"]["passed"] else "force-promote")
    print(f"\nmake train-and-publish (tiny config): {elapsed:.1f} s; {manifest['artifacts']}")

    # And the published ONNX + manifest, fed the stored bars, reproduce the Keras model of record
    from ml.modeling.predict import OnnxPredictor, target_weight
    from ml.publish import load_keras

    onnx_bytes = s3.get_object(Bucket=bucket, Key=prefix + "model.onnx")["Body"].read()
    h5 = Path(s3_env["TRADELOOP_ML_WORKDIR"]) / "model.h5"
    h5.write_bytes(s3.get_object(Bucket=bucket, Key=prefix + "model.h5")["Body"].read())
    predictor = OnnxPredictor(onnx_bytes, manifest)
    bars = dataset.get_bars("IBM")
    n = manifest["features"]["bars_needed"]
    served = predictor.predict_last(bars.open[-n:], bars.high[-n:], bars.low[-n:], bars.close[-n:], bars.volume[-n:])
    from ml.features import build_samples

    samples = build_samples({"IBM": bars}, LabelSpec(), manifest["features"]["window"])
    keras_prob = float(load_keras(h5).predict(predictor.scale(samples.x[-1:]), verbose=0)[0, 0])
    assert abs(served - keras_prob) < 1e-5
    assert target_weight(served, 0.0, manifest["policy"], "IBM") in (0.0, manifest["policy"]["weights"]["IBM"])
    # And the manifest carries the evaluated policy, the gate's tests and the label's tie rule
    assert manifest["policy"]["universe"] == ["IBM", "MSFT"] and manifest["policy"]["weights"] == {
        "IBM": 0.25,
        "MSFT": 0.25,
    }
    assert [t["name"] for t in manifest["gate"]["tests"]] == [
        "auc_vs_chance",
        "auc_vs_logistic",
        "sharpe_vs_logistic",
        "sharpe_vs_buy_and_hold",
    ]
    assert manifest["gate"]["trials"]["counted"] >= 1 and "excluded" in manifest["label"]["ties"]
    assert set(manifest["walk_forward"]["per_symbol"]) == {"IBM", "MSFT"}

    # And the other make targets behave: report, promote needs VERSION, rollback needs history
    report = _make("ml-report", env)
    assert report.returncode == 0 and "report:" in report.stdout and "logistic" in report.stdout
    assert _make("promote", env).returncode != 0
    assert _make("promote", env, f"VERSION={version}").returncode == 0  # already live: no-op
    rollback = _make("rollback", env)
    assert rollback.returncode != 0 and "nothing to roll back" in rollback.stderr


def test_train_and_publish_from_csv_prints_the_report_when_the_gate_refuses(
    s3_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ml.__main__ import EXIT_REFUSED, main

    # Given the user's own CSV files (here: the sample written out) and no FORCE
    for symbol in ("IBM", "MSFT"):
        (tmp_path / f"{symbol}.csv").write_text(dataset.sample_bars(symbol).to_csv())
    # When train-and-publish ingests them and runs; the tiny model has no skill the gate can see
    code = main(["train-and-publish", *TINY_ARGS.split(), "--ingest-source", "csv", "--path", str(tmp_path)])
    out, err = capsys.readouterr()
    # Then it ingested the CSV files, was refused with the gate's reasons, and said where the report is
    assert "[ingest] IBM" in out and "[ingest] MSFT" in out
    assert code == EXIT_REFUSED and "refused:" in err and "p = " in err
    (report,) = [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("[report] ")]
    assert Path(report).is_file() and "Promotion gate: FAIL" in Path(report).read_text()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["train-and-publish", "--symbols", "FOO"], "FOO is not in the offline sample"),
        (["train-and-publish", "--symbols", "FOO", "--ingest-source", "csv", "--path", "{tmp}"], "no FOO.csv"),
        (["ingest", "--source", "csv", "--path", "{tmp}/NOPE.csv"], "NOPE.csv: no such file"),
        (["evaluate", "--symbols", "FOO"], "no bars for FOO"),
    ],
)
def test_cli_input_errors_say_what_to_do_without_a_traceback(
    s3_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    from ml.__main__ import EXIT_BAD_INPUT, main

    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    if "FOO" in says and "csv" not in args:
        assert "ingest its bars first" in err
