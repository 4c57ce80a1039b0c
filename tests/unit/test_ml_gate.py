"""The promotion gate's statistics, without Keras: the bootstrap's AUC and Sharpe are the usual ones,
its spread is right, the tests hold their level when the best of several candidates is picked,
they find real skill, and results too good for daily bars are refused as likely look-ahead."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ml.backtest import performance
from ml.bootstrap import auc_replicates, sharpe_replicates, stationary_counts, weighted_auc
from ml.config import GateSpec
from ml.gate import TESTS, OutOfSample, select_and_gate, significance_tests

MODELS = ("mlp", "conv_lstm", "logistic")


def test_weighted_auc_with_unit_weights_is_the_usual_auc_and_ties_count_half() -> None:
    # Given scores with many exact ties (float32 outputs crowd near 0.5)
    rng = np.random.default_rng(1)
    y = (rng.random(3000) < 0.5).astype(int)
    score = np.round(0.5 + 0.05 * rng.standard_normal(3000) + 0.01 * y, 3)
    assert len(np.unique(score)) < 1000
    # When the bootstrap's AUC runs with every row weighing 1, and with duplicated rows
    ones = weighted_auc(score, y, np.ones((1, 3000)))[0]
    w = rng.integers(0, 3, 3000).astype(float)
    weighted = weighted_auc(score, y, w[None, :])[0]
    # Then it equals sklearn's AUC, on the rows as given and on the rows repeated w times
    assert ones == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert weighted == pytest.approx(roc_auc_score(np.repeat(y, w.astype(int)), np.repeat(score, w.astype(int))))


def test_bootstrap_sharpe_with_unit_counts_is_the_reported_sharpe() -> None:
    r = np.random.default_rng(2).normal(3e-4, 0.01, 1500)
    equity = np.cumprod(1 + r)
    assert sharpe_replicates(r, np.ones((1, 1500)))[0] == pytest.approx(performance(equity, init_cash=1.0)["sharpe"])


def test_stationary_bootstrap_draws_n_dates_in_blocks_of_the_mean_length() -> None:
    counts = stationary_counts(1000, 400, 10.0, np.random.default_rng(3))
    assert counts.shape == (400, 1000) and (counts.sum(axis=1) == 1000).all()
    # Each date is drawn once per replicate on average (no date favoured, wrap-around blocks)
    assert abs(counts.mean() - 1.0) < 1e-12 and counts.mean(axis=0).std() < 0.2
    # Neighbouring dates travel together in blocks of 10 (count correlation ~ 1 - 1/10), not with blocks of 1
    iid = stationary_counts(1000, 400, 1.0, np.random.default_rng(3))
    assert np.corrcoef(counts[:, :-1].ravel(), counts[:, 1:].ravel())[0, 1] > 0.8
    assert abs(np.corrcoef(iid[:, :-1].ravel(), iid[:, 1:].ravel())[0, 1]) < 0.05


def test_bootstrap_spread_of_auc_matches_the_analytic_one_for_independent_rows() -> None:
    # Given independent rows with a little skill (each its own date), blocks of 1 = the iid bootstrap
    rng = np.random.default_rng(4)
    n = 4000
    y = (rng.random(n) < 0.5).astype(int)
    score = rng.standard_normal(n) + 0.1 * y
    counts = stationary_counts(n, 1000, 1.0, rng)
    se = auc_replicates(score, y, np.arange(n), counts).std(ddof=1)
    # Then its standard error is Hanley and McNeil's (1982) within 10 %
    a, n1, n0 = roc_auc_score(y, score), y.sum(), n - y.sum()
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    analytic = np.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))
    assert se == pytest.approx(analytic, rel=0.10)


def _null_world(rng: np.random.Generator, days: int = 500, symbols: int = 2, skill: bool = False) -> OutOfSample:
    """Two candidates and the logistic baseline scoring labels they cannot see (with ``skill``, the
    candidates see a little: AUC about 0.64, and their books earn 10 bps a day more); books that
    follow a common market factor with volatility clusters."""
    n = days * symbols
    y = (rng.random(n) < 0.52).astype(float)
    vol = np.repeat(np.exp(rng.standard_normal(days // 25 + 1) * 0.4), 25)[:days] * 0.01
    market = rng.standard_normal(days) * vol
    sees = {m: skill and m != "logistic" for m in MODELS}
    scores = {m: 0.5 + 0.02 * rng.standard_normal(n) + (0.01 * (y - 0.5) if sees[m] else 0) for m in MODELS}
    returns = {m: 0.5 * market + 0.004 * rng.standard_normal(days) + (1e-3 if sees[m] else 0) for m in MODELS}
    return OutOfSample(scores, y, np.repeat(np.arange(days), symbols), returns, market + 2e-4)


def _run(world: OutOfSample, spec: GateSpec, seed: int) -> list[dict[str, Any]]:
    # The gate's selection: the candidate with the best AUC on the very data it is then tested on.
    selected = max(("mlp", "conv_lstm"), key=lambda m: roc_auc_score(world.y, world.scores[m]))
    tests, _ = significance_tests(world, ["mlp", "conv_lstm"], selected, spec, seed)
    return tests


@pytest.mark.slow  # 400 simulated worlds (3 s): in `make test`, not `make test-unit`
def test_each_test_holds_its_level_when_the_best_of_two_candidates_is_picked() -> None:
    # Given 120 worlds in which no model has skill, and the better-looking candidate picked each time
    rng = np.random.default_rng(5)
    spec = replace(GateSpec(), replicates=400)
    rejections = np.zeros(4)
    for seed in range(120):
        rejections += [t["passed"] for t in _run(_null_world(rng), spec, seed)]
    # Then each test rejects at about its 5 % level: at most 12 of 120 (P[X >= 13 | 5 %] = 0.5 %)
    counts = dict(zip([t[0] for t in TESTS], rejections.astype(int).tolist(), strict=True))
    print(f"\nnull rejections of 120 (level 0.05): {counts}")
    assert (rejections <= 12).all(), rejections
    assert rejections.sum() > 0  # a test that never rejects anything is not testing


def test_real_skill_passes_every_test_and_more_trials_cost_significance() -> None:
    # Given candidates that do see the label a little, and a book that earns an edge
    world = _null_world(np.random.default_rng(6), days=800, skill=True)
    spec = replace(GateSpec(), replicates=600)
    # When the gate's tests run for one configuration and for 1,000 tried on the same data
    once = _run(world, spec, 0)
    many = _run(world, replace(spec, configurations=1000), 0)
    # Then the skill is found, every interval's lower end is above 0
    assert all(t["passed"] and t["interval"][0] > 0 for t in once), once
    # And the p-values grow with the trials counted (Bonferroni over configurations)
    for a, b in zip(once, many, strict=True):
        assert b["p_adjusted"] == pytest.approx(min(1.0, a["p_adjusted"] * 1000))
        assert b["interval"][0] < a["interval"][0]


def _overall(mlp_auc: float, mlp_sharpe: float) -> dict[str, dict[str, float]]:
    return {
        "mlp": {"auc": mlp_auc, "sharpe": mlp_sharpe},
        "conv_lstm": {"auc": 0.50, "sharpe": 0.1},
        "logistic": {"auc": 0.51, "sharpe": 0.3},
        "buy_and_hold": {"sharpe": 0.7},
    }


@pytest.mark.parametrize(("auc", "sharpe", "why"), [(0.98, 7.2, "AUC 0.980 > 0.6"), (0.55, 3.4, "Sharpe 3.40 > 3.0")])
def test_results_too_good_for_daily_bars_are_refused_as_likely_look_ahead(auc: float, sharpe: float, why: str) -> None:
    # Given real skill by every test, but an out-of-sample result daily bars do not allow
    world = _null_world(np.random.default_rng(7), days=800, skill=True)
    blamed: list[str] = []

    def importance(name: str) -> list[tuple[str, float]]:
        blamed.append(name)
        return [("leak", 0.45), ("ret_1", 0.01), ("gap", 0.0), ("vol_10", -0.001)]

    # When the gate runs
    selected, gate = select_and_gate(
        world,
        _overall(auc, sharpe),
        ["mlp", "conv_lstm"],
        replace(GateSpec(), replicates=300),
        seed=0,
        importance=importance,
    )
    # Then promotion is refused as likely look-ahead, naming the three features the model leans on most
    assert selected == "mlp" and not gate["passed"]
    assert all(t["passed"] for t in gate["tests"])  # the significance tests alone would have promoted it
    (reason,) = gate["reasons"]
    assert reason.startswith("likely look-ahead: mlp") and why in reason
    assert "leak (AUC -0.450" in reason and "vol_10" not in reason
    assert blamed == ["mlp"] and gate["look_ahead"]["tripped"][0]["features"][0]["name"] == "leak"


def test_selection_picks_the_best_keras_candidate_never_a_baseline() -> None:
    world = _null_world(np.random.default_rng(8))
    overall = _overall(0.52, 0.5)
    overall["logistic"]["auc"] = 0.59
    overall["conv_lstm"]["auc"] = 0.53
    selected, gate = select_and_gate(
        world,
        overall,
        ["mlp", "conv_lstm"],
        replace(GateSpec(), replicates=200),
        seed=0,
    )
    assert selected == "conv_lstm" and gate["candidate"] == 0.53 and gate["logistic"] == 0.59
    assert gate["trials"]["counted"] == 2 and [t["name"] for t in gate["tests"]] == [t[0] for t in TESTS]
    with pytest.raises(ValueError, match="no Keras candidate"):
        select_and_gate(world, overall, [], GateSpec(), 0)


@pytest.mark.parametrize(("rows", "trips"), [(1200, True), (300, False)])
def test_a_leak_in_one_symbol_trips_the_sentinel_when_its_auc_rests_on_enough_rows(rows: int, trips: bool) -> None:
    # Given pooled results that look plausible, but one symbol scored far too well
    world = _null_world(np.random.default_rng(9))
    per_symbol = {"mlp": {"IBM": {"auc": 0.9, "n": rows}, "MSFT": {"auc": 0.5, "n": rows}}}
    _, gate = select_and_gate(
        world,
        _overall(0.56, 1.0),
        ["mlp", "conv_lstm"],
        replace(GateSpec(), replicates=200),
        seed=0,
        per_symbol=per_symbol,
    )
    # Then it is refused as likely look-ahead, unless that AUC rests on too few rows to mean much
    tripped = [t["why"] for t in gate["look_ahead"]["tripped"]]
    assert tripped == ([["IBM AUC 0.900 > 0.6"]] if trips else [])
