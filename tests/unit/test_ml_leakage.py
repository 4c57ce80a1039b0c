"""The look-ahead check on the feature code, run by every evaluation: a feature that reads later bars
stops the pipeline, loudly and by name; the shared features pass it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ml.config import LabelSpec
from ml.dataset import Bars, sample_bars
from ml.features import build_samples
from ml.leakage import FeatureFn, LookAheadError
from tradeloop_common.features import compute_features


def _with_extra(extra: str) -> FeatureFn:
    """The shared features plus one column, as a user adding a feature would write it."""

    def features(
        o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray
    ) -> tuple[np.ndarray, tuple[str, ...]]:
        x, names = compute_features(o, h, lo, c, v)
        c = np.asarray(c, dtype=np.float64)
        if extra == "peek":  # tomorrow's close over today's: reads bar t+1
            col = np.append(c[1:] / c[:-1] - 1, np.nan)
        elif extra == "zscore_full":  # normalised with the whole series' mean and sd
            col = (c - c.mean()) / c.std()
        else:  # a causal one: today's close over the 3-day-ago close
            col = np.concatenate([np.full(3, np.nan), c[3:] / c[:-3] - 1])
        return np.column_stack([x, col]), (*names, extra)

    return features


@pytest.fixture(scope="module")
def bars() -> dict[str, Bars]:
    return {s: sample_bars(s) for s in ("IBM", "MSFT")}


def test_shared_features_pass_the_causality_check_on_every_symbol(bars: dict[str, Bars]) -> None:
    samples = build_samples(bars, LabelSpec(), window=5)
    assert [c["symbol"] for c in samples.causality] == ["IBM", "MSFT"]
    assert all(len(c["points"]) == 8 for c in samples.causality)


@pytest.mark.parametrize("extra", ["peek", "zscore_full"])
def test_a_feature_that_reads_later_bars_stops_the_evaluation_naming_it(bars: dict[str, Bars], extra: str) -> None:
    # Given a user-added feature that peeks (at the next bar, or at the whole series)
    # When samples are built for an evaluation; Then it fails loudly, naming the feature
    with pytest.raises(LookAheadError, match=f"for IBM, {extra} \\(first at bar"):
        build_samples(bars, LabelSpec(), window=5, features=_with_extra(extra))


def test_a_causal_user_feature_is_accepted(bars: dict[str, Bars]) -> None:
    samples = build_samples(bars, LabelSpec(), window=5, features=_with_extra("ret_3"))
    assert samples.feature_names[-1] == "ret_3" and samples.x.shape[1] == len(samples.feature_names)


def test_the_cli_refuses_to_evaluate_with_a_peeking_feature(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ml import features as ml_features
    from ml.__main__ import EXIT_BAD_INPUT, main

    # Given the shared feature code edited to peek (as a user adding a feature would)
    monkeypatch.setattr(ml_features, "compute_features", _with_extra("peek"))
    monkeypatch.setenv("TRADELOOP_ML_WORKDIR", str(tmp_path))
    # When `python -m ml evaluate` runs on the sample; Then it stops before fitting, saying why
    assert main(["evaluate", "--source", "sample", "--symbols", "IBM", "--quiet"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "look-ahead in the feature code" in err and "peek" in err and "Traceback" not in err
