"""Walk-forward splits are purged and expanding; permuted labels score AUC 0.5 out of sample."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ml.config import TrainConfig
from ml.dataset import Bars, sample_bars
from ml.evaluate import run_walk_forward
from ml.features import Samples, build_samples
from ml.splits import walk_forward_splits


@pytest.fixture(scope="module")
def bars() -> dict[str, Bars]:
    return {s: sample_bars(s) for s in ("AAPL", "IBM", "MSFT", "GOOG")}


@pytest.fixture(scope="module")
def samples(bars: dict[str, Bars]) -> Samples:
    return build_samples(bars, TrainConfig().label, window=10)


def test_splits_expand_and_keep_a_purge_gap(samples: Samples) -> None:
    splits = walk_forward_splits(samples, folds=5, min_train_frac=0.4, purge=2)
    udates = np.unique(samples.dates)
    pos = {d: i for i, d in enumerate(udates)}
    previous_train = 0
    for s in splits:
        train_last = max(pos[d] for d in samples.dates[s.train])
        test_first = min(pos[d] for d in samples.dates[s.test])
        # A label at date index i reads bars up to i + 2: none may reach the test block's labels.
        assert train_last + 2 < test_first
        assert len(s.train) > previous_train  # expanding window
        previous_train = len(s.train)
        assert np.isin(samples.dates[s.train], samples.dates[s.test]).sum() == 0
    tests = np.concatenate([s.test for s in splits])
    assert len(tests) == len(np.unique(tests))  # test blocks do not overlap


def test_purge_shorter_than_label_horizon_is_refused(samples: Samples, bars: dict[str, Bars]) -> None:
    with pytest.raises(ValueError, match="purge"):
        run_walk_forward(samples, bars, replace(TrainConfig(), purge=1), candidates=())


@pytest.mark.slow  # Keras training: in `make test`, not `make test-unit`
def test_permuted_labels_give_chance_auc_out_of_sample(samples: Samples, bars: dict[str, Bars]) -> None:
    # Given labels shuffled across all samples (features no longer carry information)
    rng = np.random.default_rng(123)
    permuted = samples.take(np.arange(len(samples)))
    lab = np.flatnonzero(permuted.labeled)
    permuted.y[lab] = permuted.y[rng.permutation(lab)]
    cfg = replace(TrainConfig(), folds=3, epochs=3, window=10, verbose=0)
    # When the logistic baseline and the MLP are evaluated walk-forward
    ev = run_walk_forward(permuted, bars, cfg, candidates=("mlp",), log=lambda _: None)
    # Then out-of-sample AUC is chance
    for name in ("logistic", "mlp"):
        auc = ev.candidates[name].overall["auc"]
        assert abs(auc - 0.5) < 0.05, (name, auc)
