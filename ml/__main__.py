"""``python -m ml <command>``: ingest, evaluate, train, publish, promote, rollback, train-and-publish, versions,
report."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from ml.config import Costs, GateSpec, LabelSpec, TrainConfig

EXIT_REFUSED = 3  # the gate or a verification refused (nothing changed)
EXIT_CONFLICT = 4  # another promotion won the race
EXIT_BAD_INPUT = 2


def _config(args: argparse.Namespace) -> TrainConfig:
    cfg = TrainConfig(costs=Costs.from_env())
    changes = {
        k: getattr(args, k)
        for k in ("folds", "epochs", "window", "min_train_frac", "batch_size", "patience")
        if getattr(args, k, None) is not None
    }
    if getattr(args, "symbols", None):
        changes["symbols"] = tuple(s.upper() for s in args.symbols.split(","))
    if getattr(args, "candidates", None):
        changes["candidates"] = tuple(args.candidates.split(","))
    if getattr(args, "dead_zone", None) is not None:
        changes["label"] = LabelSpec(dead_zone=args.dead_zone)
    if getattr(args, "quiet", False):
        changes["verbose"] = 0
    if getattr(args, "trials", None) is not None:
        changes["gate"] = replace(GateSpec(), configurations=args.trials)
    return replace(cfg, **changes)


def _train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--symbols", help="comma-separated (default: AAPL,GOOG,IBM,MSFT)")
    p.add_argument("--candidates", help="comma-separated Keras candidates (default: mlp,conv_lstm)")
    p.add_argument("--folds", type=int)
    p.add_argument("--epochs", type=int)
    p.add_argument("--window", type=int, help="feature rows per sample of the sequence model")
    p.add_argument("--min-train-frac", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--patience", type=int)
    p.add_argument("--dead-zone", type=float, help="label dead zone (absolute return), default 0")
    p.add_argument("--source", default="s3", help="s3 (data bucket), sample, or a folder of <SYMBOL>.csv")
    p.add_argument("--quiet", action="store_true", help="no per-epoch Keras progress")
    p.add_argument(
        "--trials",
        type=int,
        help="configurations already tried on this data outside these runs (the gate corrects for them; "
        "runs on the same data are counted for you)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="validate daily bars and store them in the data bucket")
    p.add_argument("--source", choices=("sample", "csv", "yfinance"), default="sample")
    p.add_argument("--path", help="CSV file or folder (with --source csv)")
    p.add_argument("--symbols", help="comma-separated")
    p.add_argument("--if-missing", action="store_true", help="only symbols not yet in the bucket")
    p.add_argument("--replace", action="store_true", help="replace a stored series that differs (else refused)")
    p.add_argument(
        "--sort", action="store_true", help="sort rows out of date order (else refused); counted in the report"
    )

    p = sub.add_parser("evaluate", help="walk-forward evaluation of all candidates and baselines")
    _train_args(p)
    p = sub.add_parser("train", help="evaluate (unless --run has it) and fit the selected candidate")
    _train_args(p)
    p.add_argument("--run", type=Path, help="run folder from `evaluate` (default: a new run)")
    p = sub.add_parser("publish", help="ONNX + parity + manifest + report, upload to the models bucket")
    p.add_argument("--run", type=Path, help="run folder (default: the last run)")
    p.add_argument("--promote", action="store_true", help="also promote (gated)")
    p.add_argument("--force", action="store_true", help="promote even if the gate refuses")

    p = sub.add_parser("promote", help="point LATEST at VERSION (gated, conditional put)")
    p.add_argument("version")
    p.add_argument("--force", action="store_true", help="promote even if the gate refuses")
    sub.add_parser("rollback", help="point LATEST back at the previously live version")
    sub.add_parser("versions", help="list published versions and the live one")

    p = sub.add_parser("train-and-publish", help="ingest-if-needed -> evaluate -> train -> publish -> promote")
    _train_args(p)
    p.add_argument(
        "--ingest-source",
        choices=("sample", "csv", "yfinance"),
        default="sample",
        help="where missing bars come from; csv stores the --symbols found in --path first",
    )
    p.add_argument("--path", help="CSV file or folder of <SYMBOL>.csv (with --ingest-source csv)")
    p.add_argument("--replace", action="store_true", help="replace stored series the CSV files differ from")
    p.add_argument("--no-promote", action="store_true")
    p.add_argument("--force", action="store_true", help="promote even if the gate refuses")
    p = sub.add_parser("report", help="the walk-forward table of the last run (or --run) and where its report is")
    p.add_argument("--run", type=Path, help="a run directory (default: the last one)")
    return parser


def _ingest(args: argparse.Namespace) -> None:
    from ml import pipeline

    syms = args.symbols.split(",") if args.symbols else None
    pipeline.ingest(args.source, syms, args.path, args.if_missing, replace=args.replace, sort=args.sort)


def _evaluate(args: argparse.Namespace) -> None:
    from ml import pipeline

    pipeline.evaluate(_config(args), args.source)


def _train(args: argparse.Namespace) -> None:
    from ml import pipeline

    run = args.run
    if run is None or not (run / "evaluation.json").exists():
        run, _ = pipeline.evaluate(_config(args), args.source, run_dir=run)
    pipeline.train(run)


def _publish(args: argparse.Namespace) -> None:
    from ml import pipeline
    from ml.registry import Registry

    manifest = pipeline.publish(args.run or pipeline.last_run_dir())
    if args.promote:
        Registry().promote(manifest["version"], force=args.force)
        print(f"[promote] LATEST -> {manifest['version']}")


def _promote(args: argparse.Namespace) -> None:
    from ml.registry import Registry

    print(json.dumps(Registry().promote(args.version, force=args.force), indent=1))


def _rollback(args: argparse.Namespace) -> None:
    from ml.registry import Registry

    print(json.dumps(Registry().rollback(), indent=1))


def _versions(args: argparse.Namespace) -> None:
    from ml.registry import Registry

    reg = Registry()
    live = reg.live_version()
    for v in reg.versions():
        print(("* " if v == live else "  ") + v)


def _train_and_publish(args: argparse.Namespace) -> None:
    from ml import pipeline

    pipeline.train_and_publish(
        _config(args),
        args.ingest_source,
        promote=not args.no_promote,
        force=args.force,
        path=args.path,
        replace=args.replace,
    )


def _report(args: argparse.Namespace) -> None:
    from ml import pipeline

    run = args.run or pipeline.last_run_dir()
    table = json.loads((run / "table.json").read_text())
    rows = [table["header"], *table["rows"]]
    widths = [max(len(str(cell)) for cell in column) for column in zip(*rows, strict=True)]
    for row in rows:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))
    print("report:", (run / "report.html").resolve())


COMMANDS = {
    "ingest": _ingest,
    "evaluate": _evaluate,
    "train": _train,
    "publish": _publish,
    "promote": _promote,
    "rollback": _rollback,
    "versions": _versions,
    "train-and-publish": _train_and_publish,
    "report": _report,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if "csv" in (getattr(args, "source", None), getattr(args, "ingest_source", None)) and not getattr(
        args, "path", None
    ):
        parser.error("--path (a CSV file or a folder of <SYMBOL>.csv) is required with csv")
    # Imported here so `--help` and argument errors stay instant (no numpy/TF import).
    from ml.dataset import IngestError
    from ml.leakage import LookAheadError
    from ml.publish import ParityError
    from ml.registry import PromotionConflict, PromotionRefused

    try:
        COMMANDS[args.command](args)
    except (IngestError, LookAheadError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (PromotionRefused, ParityError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except PromotionConflict as exc:
        print(f"conflict: {exc}", file=sys.stderr)
        return EXIT_CONFLICT
    return 0


if __name__ == "__main__":
    sys.exit(main())
