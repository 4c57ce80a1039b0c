"""The promotion gate: a candidate goes live only if it beats the logistic baseline out of sample
on the selection metric (by more than a margin) and on after-cost Sharpe."""

from __future__ import annotations

import math

import pytest

from ml.config import TrainConfig
from ml.evaluate import CandidateResult, select_and_gate


def _results(mlp: tuple[float, float], lstm: tuple[float, float], logistic: tuple[float, float]):
    return {
        name: CandidateResult(name=name, overall={"auc": auc, "sharpe": sharpe})
        for name, (auc, sharpe) in (("mlp", mlp), ("conv_lstm", lstm), ("logistic", logistic))
    }


def test_selects_best_keras_candidate_and_passes_when_it_beats_logistic_on_both() -> None:
    selected, gate = select_and_gate(_results((0.53, 0.9), (0.55, 1.1), (0.52, 0.8)), TrainConfig(), {"sharpe": 0.7})
    assert selected == "conv_lstm"
    assert gate["passed"] and gate["reasons"] == []
    assert gate["buy_and_hold_sharpe"] == 0.7


@pytest.mark.parametrize(
    ("mlp", "logistic", "why"),
    [
        ((0.5071, 0.39), (0.5070, 0.75), "edge"),  # the sample-data case: an AUC edge of 0.0001 is noise
        ((0.5300, 0.39), (0.5070, 0.75), "Sharpe"),  # ranks better but trades worse after costs
        ((0.5300, math.nan), (0.5070, 0.75), "Sharpe"),  # no backtest is no evidence
    ],
)
def test_refuses_a_candidate_that_does_not_beat_logistic(mlp, logistic, why: str) -> None:
    selected, gate = select_and_gate(_results(mlp, (0.40, 0.1), logistic), TrainConfig())
    assert selected == "mlp"
    assert not gate["passed"]
    assert any(why in r for r in gate["reasons"]), gate["reasons"]


def test_selection_never_picks_a_baseline() -> None:
    selected, _ = select_and_gate(_results((0.50, 0.1), (0.49, 0.1), (0.60, 2.0)), TrainConfig())
    assert selected == "mlp"
