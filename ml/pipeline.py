"""The pipeline steps behind the CLI: ingest, evaluate, train, publish, promote, rollback.

Each step reads and writes a run folder (``.tradeloop/ml/runs/<run>/``) so steps can run
in separate processes; ``train_and_publish`` chains them in one.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ml import dataset
from ml.config import TrainConfig, config_from_dict, runs_dir, storage
from ml.dataset import Bars
from ml.evaluate import Evaluation, run_walk_forward
from ml.features import Samples, build_samples, first_valid_bar
from ml.modeling.train import fit_candidate
from ml.monitoring import decay_promise, drift_reference
from ml.publish import (
    code_version,
    convert_and_check,
    library_versions,
    new_version,
    sha256_file,
    write_json,
)
from ml.registry import Registry
from ml.report import write_html, write_plots
from ml.table import print_table, table_rows
from ml.trials import ledger_path, record_trial
from tradeloop_common.dal.quality import QualityStore
from tradeloop_common.features import FEATURE_NAMES, FEATURE_PARAMS, LOOKBACK
from tradeloop_common.layout import BARS_PREFIX, QUALITY_LATEST_KEY, model_prefix, quality_report_key
from tradeloop_common.quality import assess, summary_lines

Log = Callable[[str], None]


def _log(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------------------------ ingest


def ingest(
    source: str = "sample",
    symbols: Sequence[str] | None = None,
    path: str | None = None,
    if_missing: bool = False,
    log: Log = _log,
    replace: bool = False,
    sort: bool = False,
) -> list[str]:
    """Validate bars (the shared rules: tradeloop_common.ohlcv) and store them as
    ``bars/daily/<SYMBOL>.csv`` in the data bucket; print the quality report and store it beside
    the data (``quality/``). A stored series is replaced only with ``replace`` (an identical one is
    left alone); unsorted input is refused unless ``sort``."""
    st = storage()
    s3 = dataset.s3_client()
    if source == "csv":
        if not path:
            raise ValueError("--path is required with --source csv (a CSV file or a folder of <SYMBOL>.csv)")
        loaded = [dataset.read_bars_file(f, sort=sort) for f in dataset.csv_files(Path(path), symbols)]
    else:
        syms = [s.upper() for s in (symbols or TrainConfig().symbols)]
        if if_missing:
            syms = dataset.missing_symbols(syms, s3, st.data_bucket)
            if not syms:
                log(f"[ingest] all bars already in s3://{st.data_bucket}; nothing to do")
                return []
        fetch = dataset.sample_bars if source == "sample" else dataset.yfinance_bars
        loaded = [fetch(s) for s in syms]
    uris = []
    for bars in loaded:
        stored = dataset.stored_bars(bars.symbol, s3, st.data_bucket)
        uri = f"s3://{st.data_bucket}/{dataset.bars_key(bars.symbol)}"
        if stored is not None and stored.to_csv() == bars.to_csv():
            uris.append(uri)
            log(f"[ingest] {bars.symbol}: {len(bars)} bars {bars.first_date}..{bars.last_date} already in {uri}")
            continue
        if stored is not None and not replace:
            raise dataset.IngestError(
                uri,
                f"already holds {len(stored)} bars {stored.first_date}..{stored.last_date}, and this {source} "
                f"ingest of {len(bars)} bars {bars.first_date}..{bars.last_date} differs: pass --replace to "
                "replace the series (the market-data service appends sessions to it itself)",
            )
        uris.append(dataset.put_bars(bars, s3, st.data_bucket))
        verb = "replaced" if stored is not None else "stored"
        log(f"[ingest] {bars.symbol}: {len(bars)} bars {bars.first_date}..{bars.last_date} {verb} -> {uris[-1]}")
    report = quality_report(loaded, source)
    for line in summary_lines(report):
        log(line)
    QualityStore(st.data_bucket).put_if_changed(QUALITY_LATEST_KEY, report)
    QualityStore(st.data_bucket).put_if_changed(quality_report_key(source), report)
    return uris


def quality_report(loaded: Sequence[Bars], source: str) -> dict[str, Any]:
    """The quality report of a CLI ingest (the same shape as the market-data service's)."""
    symbols = []
    for b in loaded:
        days = [d.item() for d in b.dates]
        symbols.append(
            assess(
                b.symbol,
                days,
                b.open.tolist(),
                b.close.tolist(),
                b.volume.tolist(),
                duplicate_rows=len(b.duplicate_rows),
                unsorted_rows=len(b.unsorted_rows),
            )
        )
    return {"kind": "cli", "session": None, "provider": source, "symbols": symbols, "warnings": [], "missing": []}


# ---------------------------------------------------------------------------------- run dirs


def new_run_dir() -> Path:
    run = runs_dir() / datetime.now(UTC).strftime("run-%Y%m%dT%H%M%S%fZ")
    run.mkdir(parents=True, exist_ok=False)
    (runs_dir() / "last").write_text(str(run))
    return run


def last_run_dir() -> Path:
    marker = runs_dir() / "last"
    if not marker.exists():
        raise FileNotFoundError("no run yet: run `python -m ml evaluate` or `train` first")
    return Path(marker.read_text().strip())


def data_info(bars: dict[str, Bars], source: str) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {
        s: {"first_date": b.first_date, "last_date": b.last_date, "rows": len(b), "sha256": b.sha256()}
        for s, b in sorted(bars.items())
    }
    combined = hashlib.sha256("".join(f"{s}:{v['sha256']}\n" for s, v in per.items()).encode()).hexdigest()
    src = f"s3://{storage().data_bucket}/{BARS_PREFIX}" if source == "s3" else source
    return {
        "source": src,
        "symbols": list(per),
        "per_symbol": per,
        "sha256": combined,
        "sha256_of": "sha256 over '<SYMBOL>:<sha256 of the canonical CSV>' lines, symbols sorted",
        "first_date": min(v["first_date"] for v in per.values()),
        "last_date": max(v["last_date"] for v in per.values()),
    }


def _load(cfg: TrainConfig, source: str) -> tuple[dict[str, Bars], Samples]:
    bars = dataset.load_bars(cfg.symbols, source)
    return bars, build_samples(bars, cfg.label, cfg.window)


# -------------------------------------------------------------------------------- evaluate


def evaluate(
    cfg: TrainConfig,
    source: str = "s3",
    run_dir: Path | None = None,
    loaded: tuple[dict[str, Bars], Samples] | None = None,
    log: Log = _log,
) -> tuple[Path, Evaluation]:
    bars, samples = loaded or _load(cfg, source)  # before the run folder: bad input leaves no empty run
    run_dir = run_dir or new_run_dir()
    log(f"[evaluate] {len(samples)} samples, {len(FEATURE_NAMES)} features, symbols {sorted(bars)}; run {run_dir}")
    data = data_info(bars, source)
    # Every configuration evaluated on this data is a trial the gate must correct for.
    configurations = record_trial(data["sha256"], cfg)
    log(f"[evaluate] configuration {configurations} evaluated on this data ({ledger_path()})")
    ev = run_walk_forward(samples, bars, cfg, log=log, configurations=configurations)
    print_table(ev, log)
    write_json(run_dir / "config.json", {**cfg.to_dict(), "source": source})
    write_json(run_dir / "data.json", data)
    write_json(run_dir / "evaluation.json", ev.summary())
    write_json(run_dir / "table.json", dict(zip(("header", "rows"), table_rows(ev), strict=True)))
    # What the live decay monitor compares against: the walk-forward's out-of-sample promise.
    write_json(run_dir / "monitoring_decay.json", decay_promise(ev, samples, cfg))
    curves: dict[str, np.ndarray] = {"dates": ev.buy_and_hold.curve.dates.astype(str)}  # type: ignore[union-attr]
    for res in [*ev.candidates.values(), ev.buy_and_hold]:
        curves[f"equity_{res.name}"] = res.curve.equity  # type: ignore[union-attr]
    np.savez(run_dir / "curves.npz", **curves)  # type: ignore[arg-type]  # numpy's stub: **kwds typed as allow_pickle
    return run_dir, ev


# ----------------------------------------------------------------------------------- train


def _run_config(run_dir: Path) -> tuple[TrainConfig, str]:
    raw = json.loads((run_dir / "config.json").read_text())
    source = raw.pop("source", "s3")
    return config_from_dict(raw), source


def train(run_dir: Path, loaded: tuple[dict[str, Bars], Samples] | None = None, log: Log = _log) -> dict[str, Any]:
    """Fit the selected candidate on every labelled sample and save the model of record (model.h5)."""
    cfg, source = _run_config(run_dir)
    selected = json.loads((run_dir / "evaluation.json").read_text())["selected"]
    _, samples = loaded or _load(cfg, source)
    log(
        f"[train] final {selected} on {int(samples.labeled.sum())} labelled samples "
        f"({samples.dates.min()}..{samples.dates.max()})"
    )
    fitted = fit_candidate(selected, samples, cfg, seed_offset=0)
    h5 = run_dir / "model.h5"
    fitted.model.save(h5)
    labelled = samples.take(np.flatnonzero(samples.labeled))
    # The live drift monitor's reference: the rows this model was fit on, nothing else.
    write_json(run_dir / "monitoring_drift.json", drift_reference(labelled))
    # The parity batch: the most recent samples, i.e. what the model will see next.
    np.save(
        run_dir / "parity_batch.npy",
        fitted.inputs(labelled.take(np.arange(max(0, len(labelled) - 1024), len(labelled)))),
    )
    info = {
        "kind": selected,
        "epochs": fitted.epochs,
        "seconds": round(fitted.seconds, 2),
        "n_samples": int(len(labelled)),
        "scaler": fitted.scaler.to_dict(),
        "history": fitted.history,
        "h5_bytes": h5.stat().st_size,
    }
    write_json(run_dir / "train.json", info)
    log(f"[train] {selected}: {fitted.epochs} epochs in {fitted.seconds:.1f} s, model.h5 {info['h5_bytes']} bytes")
    return info


# --------------------------------------------------------------------------------- publish


def build_manifest(run_dir: Path, version: str, parity: dict[str, Any], model_name: str) -> dict[str, Any]:
    cfg, _ = _run_config(run_dir)
    ev = json.loads((run_dir / "evaluation.json").read_text())
    tr = json.loads((run_dir / "train.json").read_text())
    data = json.loads((run_dir / "data.json").read_text())
    kind = tr["kind"]
    window = cfg.window if kind == "conv_lstm" else 1
    input_shape = [None, cfg.window, len(FEATURE_NAMES)] if kind == "conv_lstm" else [None, len(FEATURE_NAMES)]
    files = {
        f: {"sha256": sha256_file(run_dir / f), "bytes": (run_dir / f).stat().st_size}
        for f in ("model.h5", "model.onnx")
    }
    return {
        "name": model_name,
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "model": {
            "kind": kind,
            "framework": "keras/tensorflow",
            "input_name": parity["input_name"],
            "input_shape": input_shape,
            "output": "probability that open[t+2]/open[t+1] > 1 + dead_zone",
        },
        "features": {
            "module": "tradeloop_common.features",
            "names": list(FEATURE_NAMES),
            "params": FEATURE_PARAMS,
            "lookback": LOOKBACK,
            "window": window,
            "bars_needed": first_valid_bar(cfg.window) + 1,
        },
        "lookback": LOOKBACK,
        "label": {
            "definition": "y[t] = 1 if open[t+2]/open[t+1] - 1 > dead_zone, 0 if < -dead_zone "
            "(signal at close t fills at open t+1)",
            "horizon": cfg.label.horizon,
            "dead_zone": cfg.label.dead_zone,
            "ties": cfg.label.ties,
        },
        "scaler": tr["scaler"],
        # The policy the walk-forward evaluated (universe, weights, thresholds, costs): the signal
        # service trades exactly this.
        "policy": ev["policy"],
        "costs": ev["policy"]["costs"],
        "training_data": data,
        "artifacts": files,
        "onnx_parity": parity,
        "walk_forward": {
            "folds": ev["folds"],
            "data": ev["data"],
            "per_fold": ev["candidates"][kind]["folds"],
            "overall": ev["candidates"][kind]["overall"],
            "per_symbol": ev["candidates"][kind]["per_symbol"],
            "candidates": ev["candidates"],
        },
        "baselines": {
            "logistic": ev["candidates"]["logistic"]["overall"],
            "buy_and_hold": ev["buy_and_hold"]["overall"],
            "buy_and_hold_per_fold": ev["buy_and_hold"]["folds"],
            "buy_and_hold_per_symbol": ev["buy_and_hold"]["per_symbol"],
        },
        "gate": ev["gate"],
        "monitoring": _monitoring(run_dir),
        "training": {
            "seconds": tr["seconds"],
            "epochs": tr["epochs"],
            "n_samples": tr["n_samples"],
            "walk_forward_seconds": round(sum(c["seconds"] for c in ev["candidates"].values()), 2),
            "seed": cfg.seed,
            "config": cfg.to_dict(),
        },
        "code_version": code_version(),
        "library_versions": library_versions(),
    }


def _monitoring(run_dir: Path) -> dict[str, Any]:
    """The live monitors' references (ml.monitoring); a run folder from before them has none."""
    out = {}
    for key in ("drift", "decay"):
        path = run_dir / f"monitoring_{key}.json"
        if path.exists():
            out[key] = json.loads(path.read_text())
    return out


def package(run_dir: Path, model_name: str | None = None, log: Log = _log) -> dict[str, Any]:
    """ONNX + parity + manifest + report, in the run folder; returns the manifest."""
    model_name = model_name or storage().model_name
    batch = np.load(run_dir / "parity_batch.npy")
    parity = convert_and_check(run_dir / "model.h5", run_dir / "model.onnx", batch)
    log(f"[publish] ONNX parity: max abs diff {parity['max_abs_diff']:.2e} on {parity['rows']} rows (<= 1e-5)")
    version = new_version(sha256_file(run_dir / "model.h5"))
    manifest = build_manifest(run_dir, version, parity, model_name)
    curves = dict(np.load(run_dir / "curves.npz"))
    ev = json.loads((run_dir / "evaluation.json").read_text())
    write_plots(run_dir, curves, ev)
    table = json.loads((run_dir / "table.json").read_text())
    write_html(run_dir, manifest, (table["header"], table["rows"]))
    write_json(run_dir / "manifest.json", manifest)
    (run_dir / "VERSION").write_text(version)
    return manifest


def publish(run_dir: Path, registry: Registry | None = None, log: Log = _log) -> dict[str, Any]:
    registry = registry or Registry()
    manifest = package(run_dir, registry.name, log)
    keys = registry.upload(manifest["version"], run_dir)
    log(
        f"[publish] uploaded {len(keys)} files to s3://{registry.bucket}/{model_prefix(registry.name)}"
        f"{manifest['version']}/ (model.h5 {manifest['artifacts']['model.h5']['bytes']} B, "
        f"model.onnx {manifest['artifacts']['model.onnx']['bytes']} B)"
    )
    return manifest


def train_and_publish(
    cfg: TrainConfig,
    ingest_source: str = "sample",
    promote: bool = True,
    force: bool = False,
    path: str | None = None,
    log: Log = _log,
    replace: bool = False,
) -> dict[str, Any]:
    """ingest-if-needed -> evaluate (walk-forward) -> train -> publish -> promote (gated).

    ``ingest_source`` ``csv`` stores the bars of ``cfg.symbols`` found in ``path`` (file or folder)
    first; ``sample`` and ``yfinance`` fetch only the symbols missing from the data bucket."""
    t0 = time.perf_counter()
    ingest(ingest_source, cfg.symbols, path=path, if_missing=ingest_source != "csv", log=log, replace=replace)
    loaded = _load(cfg, "s3")
    run_dir, ev = evaluate(cfg, "s3", loaded=loaded, log=log)
    train(run_dir, loaded=loaded, log=log)
    registry = Registry()
    manifest = publish(run_dir, registry, log)
    # Before promoting: a refused promotion raises, and the report is what explains the refusal.
    log(f"[report] {run_dir / 'report.html'}")
    result: dict[str, Any] = {
        "version": manifest["version"],
        "run_dir": str(run_dir),
        "promoted": False,
        "gate": manifest["gate"],
    }
    if promote:
        pointer = registry.promote(manifest["version"], force=force)
        result["promoted"] = True
        if pointer["action"] == "force-promote":
            log("[promote] FORCED past a failed gate: " + "; ".join(manifest["gate"].get("reasons", [])))
        log(
            f"[promote] LATEST -> {pointer['version']} ({pointer['action']}; previous: "
            f"{pointer['history'][0] if pointer['history'] else 'none'})"
        )
    log(f"[done] {manifest['version']} in {time.perf_counter() - t0:.0f} s; report: {run_dir / 'report.html'}")
    return result
