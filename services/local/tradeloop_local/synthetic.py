"""A synthetic universe: N symbols x Y years of daily bars on the exchange calendar, deterministic.

Used by the scale tests and `make bench` (the real sample, four symbols, stays the demo). Each
symbol's series depends only on ``(seed, index)``, so symbol ``Z0007`` is the same bar for bar in
a 4-, 50- or 500-symbol universe, and a 10-year universe is the last 10 years' *shape* of a
30-year one (not the same prices: the walk starts at the first session).

What makes it look like market data rather than noise:
- a market factor every symbol loads on (beta 0.5-1.5) plus fat-tailed (Student t, 4 dof) own
  moves, daily volatility 1-3 %; a weak pull toward the starting level keeps 30-year walks in a
  range a CSV with 6 decimals represents well;
- the open gaps from the previous close; high and low beyond both by a random wick;
- *gaps*: one symbol in five lists after the start (its series begins later), and every symbol
  misses about one session in 500 (a halt: the quality report counts it);
- *splits*: unadjusted 2:1 or 3:1 splits (about one per 8 years per symbol): the stored price
  falls by the ratio at that open and volume rises by it, as in a raw feed (the quality report
  flags the jump).

Rows are what the data bucket stores (``tradeloop_common.ohlcv.Bar.csv_row``: 6 decimals, whole
shares), so every ingest rule accepts them.

    python -m tradeloop_local.synthetic --symbols 500 --years 30 --seed 7 --out /tmp/universe
    python -m tradeloop_local.synthetic --symbols 50 --years 10 --bucket   # into the running stack
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from tradeloop_common.calendar import get_calendar
from tradeloop_common.ohlcv import BAR_COLUMNS

DEFAULT_END = date(2020, 12, 31)
DEFAULT_SEED = 7
LATE_LISTING_SHARE = 0.2
HALT_PROBABILITY = 0.002
SPLITS_PER_YEAR = 1 / 8


@dataclass(frozen=True)
class UniverseSpec:
    symbols: int
    years: int
    seed: int = DEFAULT_SEED
    end: date = DEFAULT_END

    def names(self) -> list[str]:
        return [symbol_name(i) for i in range(self.symbols)]

    def sessions(self) -> list[date]:
        cal = get_calendar()
        start = date(self.end.year - self.years, self.end.month, self.end.day)
        # The calendar file starts in 1990: a longer history is cut there, said by its length.
        return cal.sessions(max(start, date(1990, 1, 2)), self.end)


def symbol_name(i: int) -> str:
    """``Z0000`` .. ``Z9999``: valid for the API's symbol pattern, never a real sample ticker."""
    return f"Z{i:04d}"


def _market(spec: UniverseSpec, n: int) -> np.ndarray:
    """The common factor's daily log returns (same for every symbol of the universe)."""
    rng = np.random.default_rng([spec.seed, 1_000_000])
    return 0.0003 + 0.01 * rng.standard_t(4, n) / np.sqrt(2.0)


def symbol_csv(spec: UniverseSpec, index: int, sessions: list[date], market: np.ndarray) -> str:
    """One symbol's stored CSV (header + rows), from ``(seed, index)`` only."""
    rng = np.random.default_rng([spec.seed, index])
    n = len(sessions)
    beta = rng.uniform(0.5, 1.5)
    vol = rng.uniform(0.01, 0.03)
    own = vol * rng.standard_t(4, n) / np.sqrt(2.0)  # t(4) has variance 2
    start_price = rng.uniform(10, 200)
    first = int(rng.integers(0, int(0.6 * n))) if rng.random() < LATE_LISTING_SHARE else 0

    log_close = np.empty(n)
    gap = rng.normal(0.0, 0.3 * vol, n)
    level = np.log(start_price)
    x = level
    for t in range(n):  # the pull toward the start keeps long walks within 6-decimal prices
        x += beta * market[t] + own[t] - 0.002 * (x - level)
        log_close[t] = x
    close = np.exp(log_close)
    prev = np.concatenate([[start_price], close[:-1]])
    open_ = prev * np.exp(gap)
    wick = np.abs(rng.normal(0.0, 0.5 * vol, (2, n)))
    high = np.maximum(open_, close) * np.exp(wick[0])
    low = np.minimum(open_, close) / np.exp(wick[1])
    volume = rng.lognormal(np.log(1e6), 0.5, n)

    # Unadjusted splits: from the split's session on, prices / ratio and volume x ratio.
    factor = np.ones(n)
    split_days = np.flatnonzero(rng.random(n) < SPLITS_PER_YEAR / 252)
    for day in split_days:
        factor[day:] *= float(rng.choice([2.0, 3.0]))
    keep = np.ones(n, dtype=bool)
    keep[:first] = False
    keep &= rng.random(n) >= HALT_PROBABILITY  # halts: sessions without a bar

    o, h, lo, c = (np.round(a / factor, 6) for a in (open_, high, low, close))
    h = np.maximum.reduce([h, o, c])  # after rounding too: high >= max(open, close) >= ... >= low
    lo = np.minimum.reduce([lo, o, c])
    v = np.round(volume * factor).astype(np.int64)
    lines = [",".join(BAR_COLUMNS)]
    for i in np.flatnonzero(keep):
        lines.append(f"{sessions[i].isoformat()},{o[i]:.6f},{h[i]:.6f},{lo[i]:.6f},{c[i]:.6f},{v[i]}")
    return "\n".join(lines) + "\n"


def generate(spec: UniverseSpec) -> Iterator[tuple[str, str]]:
    """(symbol, CSV text) for every symbol of the universe, in order."""
    sessions = spec.sessions()
    market = _market(spec, len(sessions))
    for i in range(spec.symbols):
        yield symbol_name(i), symbol_csv(spec, i, sessions, market)


Log = Callable[[str], object]


# ------------------------------------------------------------------ a model for the universe


def logistic_onnx(weights: np.ndarray, bias: float, sequence_len: int | None = None) -> bytes:
    """A hand-built ONNX logistic model (no TensorFlow): sigmoid(x . weights + bias)."""
    from onnx import TensorProto, helper, numpy_helper

    k = len(weights)
    shape: list[Any] = [None, sequence_len, k] if sequence_len else [None, k]
    nodes = []
    source = "features"
    if sequence_len:  # score the last row of the window only
        nodes += [
            helper.make_node("Gather", ["features", "last"], ["lastrow"], axis=1),
        ]
        source = "lastrow"
    nodes += [
        helper.make_node("MatMul", [source, "w"], ["z0"]),
        helper.make_node("Add", ["z0", "b"], ["z"]),
        helper.make_node("Sigmoid", ["z"], ["prob"]),
    ]
    inits = [
        numpy_helper.from_array(weights.reshape(k, 1).astype(np.float32), "w"),
        numpy_helper.from_array(np.array([bias], dtype=np.float32), "b"),
    ]
    if sequence_len:
        inits.append(numpy_helper.from_array(np.array(sequence_len - 1, dtype=np.int64), "last"))
    graph = helper.make_graph(
        nodes,
        "logistic",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [None, 1])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def logistic_manifest(
    version: str, names: list[str], weight: float, features: np.ndarray, onnx: bytes
) -> dict[str, Any]:
    """The manifest of a ``logistic_onnx`` model over the shared features, with the scaler of the
    feature rows given, whose universe is ``names`` at ``weight`` each."""
    from tradeloop_common.features import FEATURE_NAMES, FEATURE_PARAMS, LOOKBACK

    return {
        "name": "tradeloop",
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "model": {"kind": "mlp", "input_name": "features"},
        "features": {"names": list(FEATURE_NAMES), "params": FEATURE_PARAMS, "window": 1, "bars_needed": LOOKBACK},
        "scaler": {"mean": features.mean(axis=0).tolist(), "std": features.std(axis=0).tolist(), "clip": 5.0},
        "policy": {"enter": 0.52, "exit": 0.48, "weight_when_long": weight, "weights": dict.fromkeys(names, weight)},
        "training_data": {"symbols": list(names)},
        "artifacts": {"model.onnx": {"sha256": hashlib.sha256(onnx).hexdigest()}},
        "onnx_parity": {"max_abs_diff": 0.0},
    }


def universe_model(
    names: list[str], sample: list[str], version: str = "synthetic", bias: float = 0.0
) -> tuple[bytes, dict[str, Any]]:
    """A logistic ONNX model (no TensorFlow) whose universe is ``names`` in equal weights, its
    scaler from the features of the ``sample`` CSVs: (model.onnx, manifest) as the signal service
    loads them. The scale tests and the bench serve it; its skill is not the point (``bias`` 4
    puts every probability above ``enter``, -4 below ``exit``: a rebalance that trades them all)."""
    from tradeloop_common.dal.bars import parse_bars
    from tradeloop_common.features import FEATURE_NAMES, LOOKBACK, compute_features

    rows = []
    for i, text in enumerate(sample):
        b = parse_bars(f"S{i}", text)
        rows.append(compute_features(*b.feature_columns())[0][LOOKBACK:])
    onnx = logistic_onnx(np.linspace(-0.4, 0.4, len(FEATURE_NAMES)), bias)
    return onnx, logistic_manifest(version, names, round(1.0 / len(names), 6), np.vstack(rows), onnx)


# ------------------------------------------------------------------ writing it


def write_folder(spec: UniverseSpec, folder: Path, log: Log = print) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for k, (symbol, text) in enumerate(generate(spec), 1):
        (folder / f"{symbol}.csv").write_text(text)
        names.append(symbol)
        if k % 100 == 0 or k == spec.symbols:
            log(f"[synthetic] {k}/{spec.symbols} symbols written to {folder}")
    return names


def write_bucket(spec: UniverseSpec, bucket: str, log: Log = print, threads: int = 8) -> list[str]:
    """Put every series at its place in the data bucket (``tradeloop_common.layout.bars_key``),
    with the credentials of this process (the administrator's, for a local stack)."""
    from tradeloop_common.dal.aws import client
    from tradeloop_common.layout import bars_key

    s3 = client("s3")
    names: list[str] = []

    def put(item: tuple[str, str]) -> str:
        symbol, text = item
        s3.put_object(Bucket=bucket, Key=bars_key(symbol), Body=text.encode(), ContentType="text/csv")
        return symbol

    with ThreadPoolExecutor(threads) as pool:
        for symbol in pool.map(put, generate(spec)):
            names.append(symbol)
            if len(names) % 100 == 0 or len(names) == spec.symbols:
                log(f"[synthetic] {len(names)}/{spec.symbols} symbols put in s3://{bucket}")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbols", type=int, default=500, help="how many symbols (default 500)")
    parser.add_argument("--years", type=int, default=30, help="years of history up to --end (default 30)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END, help="last session (YYYY-MM-DD)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="write <SYMBOL>.csv files into this folder")
    where.add_argument("--bucket", action="store_true", help="put them in the running local stack's data bucket")
    args = parser.parse_args(argv)
    if not 1 <= args.symbols <= 10_000:
        parser.error("--symbols: 1 to 10,000")
    if not 1 <= args.years <= 60:
        parser.error("--years: 1 to 60")
    spec = UniverseSpec(args.symbols, args.years, args.seed, args.end)
    if args.out:
        write_folder(spec, args.out)
        return 0
    from tradeloop_local.embedded import StackError, read_stack, use_admin

    try:
        info = read_stack()
    except StackError as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    use_admin(info.endpoint_url)
    write_bucket(spec, info.environment["TRADELOOP_DATA_BUCKET"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
