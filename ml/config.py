"""Paths, environment and hyper-parameters, resolved once here (cookiecutter-data-science style)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from tradeloop_common.settings import BrokerEnv, StorageEnv

REPO_ROOT = Path(__file__).resolve().parents[1]


def runs_dir() -> Path:
    """Run folders; .tradeloop/ is git-ignored, so runs never land in the repo (tests point it at tmp)."""
    return Path(os.environ.get("TRADELOOP_ML_WORKDIR", REPO_ROOT / ".tradeloop" / "ml")) / "runs"


SAMPLE_SYMBOLS: tuple[str, ...] = ("AAPL", "GOOG", "IBM", "MSFT")
SEED = 20240601
# The S3 layout (bars, models, LATEST) is tradeloop_common.layout's, shared with the services.


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


TIE_TOLERANCE = 1e-9  # |open-to-open return| at or below this is a tie (float noise of adjusted prices)


@dataclass(frozen=True)
class LabelSpec:
    """y[t] = 1 if open[t+2]/open[t+1] - 1 > dead_zone, 0 if < -dead_zone, else no label (NaN).

    A signal computed at the close of t fills at the open of t+1 and is next revised at the
    open of t+2: that is the return the position earns. Ties are excluded, never called "down":
    with ``dead_zone = 0`` a flat day (next open == following open) has no label, so it is neither
    trained on nor counted in AUC (it is still traded, like every bar).
    """

    horizon: int = 2  # bars after t that the label reads (t+1 and t+2)
    dead_zone: float = 0.0

    @property
    def ties(self) -> str:
        zone = max(self.dead_zone, TIE_TOLERANCE)
        return f"excluded: |return| <= {zone:g} has no label (not trained on, not scored; still traded)"


@dataclass(frozen=True)
class Policy:
    """Probability -> position, the parameters of ``tradeloop_common.policy``: long above ``enter``,
    flat below ``exit``, else keep (hysteresis); each symbol of the universe is
    ``min(weight_when_long, max_gross_exposure / N)`` of equity when long."""

    enter: float = 0.52
    exit: float = 0.48
    weight_when_long: float = 0.25  # per-symbol cap, well inside the order service's max_position_weight 0.5
    max_gross_exposure: float = 1.0  # the order service's default max_gross_exposure


@dataclass(frozen=True)
class GateSpec:
    """The promotion gate (``ml.gate``): significance tests and the look-ahead sentinel."""

    level: float = 0.05  # family-wise: P(promote | no skill) <= level, whichever candidate is picked
    replicates: int = 2000  # bootstrap replicates (p-value resolution ~ 1/replicates)
    mean_block: float = 0.0  # stationary-bootstrap mean block length in dates; 0 = n_dates ** (1/3)
    configurations: int = 1  # configurations tried on this data outside this run (--trials); Bonferroni
    # Daily bars do not allow these out of sample: they mean the future leaked into the inputs.
    max_plausible_auc: float = 0.60
    max_plausible_sharpe: float = 3.0


@dataclass(frozen=True)
class TrainConfig:
    symbols: tuple[str, ...] = SAMPLE_SYMBOLS
    folds: int = 5
    min_train_frac: float = 0.4  # share of the symbols' common dates before the first test block
    purge: int = 2  # trading dates dropped between train and test (all symbols); >= LabelSpec.horizon
    window: int = 20  # feature rows per sample for the sequence model
    epochs: int = 30
    batch_size: int = 256
    patience: int = 4
    learning_rate: float = 1e-3
    candidates: tuple[str, ...] = ("mlp", "conv_lstm")
    selection_metric: str = "auc"  # compared out of sample, pooled over folds
    seed: int = SEED
    label: LabelSpec = field(default_factory=LabelSpec)
    policy: Policy = field(default_factory=Policy)
    costs: Costs = field(default_factory=Costs)
    gate: GateSpec = field(default_factory=GateSpec)
    verbose: int = 2  # Keras progress: 2 = one line per epoch (readable in CI logs)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def config_from_dict(data: dict[str, object]) -> TrainConfig:
    """Inverse of ``TrainConfig.to_dict`` (a run's config.json); keys it no longer has are ignored."""
    known = set(TrainConfig.__dataclass_fields__)
    d = {k: v for k, v in data.items() if k in known}
    for key, cls in (("label", LabelSpec), ("policy", Policy), ("costs", Costs), ("gate", GateSpec)):
        if key in d:
            fields = set(cls.__dataclass_fields__)
            section = cast(dict[str, Any], d[key])
            d[key] = cls(**{k: v for k, v in section.items() if k in fields})
    for key in ("symbols", "candidates"):
        d[key] = tuple(d[key])  # type: ignore[arg-type]
    return TrainConfig(**d)  # type: ignore[arg-type]
