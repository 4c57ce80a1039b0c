"""Paths, environment and hyper-parameters, resolved once here (cookiecutter-data-science style)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tradeloop_common.settings import BrokerEnv, StorageEnv

REPO_ROOT = Path(__file__).resolve().parents[1]


def runs_dir() -> Path:
    """Run folders; .tradeloop/ is git-ignored, so runs never land in the repo (tests point it at tmp)."""
    return Path(os.environ.get("TRADELOOP_ML_WORKDIR", REPO_ROOT / ".tradeloop" / "ml")) / "runs"


SAMPLE_SYMBOLS: tuple[str, ...] = ("AAPL", "GOOG", "IBM", "MSFT")
BARS_PREFIX = "bars/daily/"
MODELS_PREFIX = "models/"
BARS_HEADER: tuple[str, ...] = ("date", "open", "high", "low", "close", "volume")
SEED = 20240601


def bars_key(symbol: str) -> str:
    return f"{BARS_PREFIX}{symbol.upper()}.csv"


@dataclass(frozen=True)
class Storage:
    data_bucket: str
    models_bucket: str
    model_name: str
    endpoint_url: str | None


def storage() -> Storage:
    """Bucket names from the environment (read every call: tests and CLIs change it)."""
    env = StorageEnv.model_validate(dict(os.environ))
    return Storage(env.data_bucket, env.models_bucket, env.model_name, os.environ.get("AWS_ENDPOINT_URL"))


@dataclass(frozen=True)
class Costs:
    """Paper-broker cost model (same env vars as the order service)."""

    commission_bps: float = 1.0
    slippage_bps: float = 5.0

    @property
    def commission(self) -> float:
        return self.commission_bps / 1e4

    @property
    def slippage(self) -> float:
        return self.slippage_bps / 1e4

    @classmethod
    def from_env(cls) -> Costs:
        env = BrokerEnv.model_validate(dict(os.environ))
        return cls(float(env.commission_bps), float(env.slippage_bps))


@dataclass(frozen=True)
class LabelSpec:
    """y[t] = 1 if open[t+2]/open[t+1] - 1 > dead_zone, 0 if < -dead_zone, else dropped.

    A signal computed at the close of t fills at the open of t+1 and is next revised at
    the open of t+2: that is the return the position earns.
    """

    horizon: int = 2  # bars after t that the label reads (t+1 and t+2)
    dead_zone: float = 0.0


@dataclass(frozen=True)
class Policy:
    """Probability -> position: long above ``enter``, flat below ``exit``, else keep (hysteresis)."""

    enter: float = 0.52
    exit: float = 0.48
    weight_when_long: float = 0.25  # of equity per symbol: four sample symbols share the book


@dataclass(frozen=True)
class TrainConfig:
    symbols: tuple[str, ...] = SAMPLE_SYMBOLS
    folds: int = 5
    min_train_frac: float = 0.4  # share of dates before the first test block
    purge: int = 2  # trading dates dropped between train and test (all symbols); >= LabelSpec.horizon
    window: int = 20  # feature rows per sample for the sequence model
    epochs: int = 30
    batch_size: int = 256
    patience: int = 4
    learning_rate: float = 1e-3
    candidates: tuple[str, ...] = ("mlp", "conv_lstm")
    selection_metric: str = "auc"  # compared out of sample, pooled over folds
    gate_margin: float = 0.005  # pooled OOS AUC edge over logistic needed to promote (below it is noise)
    seed: int = SEED
    label: LabelSpec = field(default_factory=LabelSpec)
    policy: Policy = field(default_factory=Policy)
    costs: Costs = field(default_factory=Costs)
    verbose: int = 2  # Keras progress: 2 = one line per epoch (readable in CI logs)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def config_from_dict(data: dict[str, object]) -> TrainConfig:
    """Inverse of ``TrainConfig.to_dict`` (a run's config.json)."""
    d = dict(data)
    d["label"] = LabelSpec(**d["label"])  # type: ignore[arg-type]
    d["policy"] = Policy(**d["policy"])  # type: ignore[arg-type]
    d["costs"] = Costs(**d["costs"])  # type: ignore[arg-type]
    for key in ("symbols", "candidates"):
        d[key] = tuple(d[key])  # type: ignore[arg-type]
    return TrainConfig(**d)  # type: ignore[arg-type]
