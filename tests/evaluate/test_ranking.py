"""Bradley–Terry ratings: a known tournament, statsmodels' logistic fit as the reference, the ranking table."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from sciplan.evaluate import EvalData, StatsConfig, build_tables
from sciplan.evaluate.ranking import ELO_SCALE, battles_from_scores, bradley_terry, rank_models
from sciplan.plan import plan_id
from sciplan.records import Plan

from .conftest import grade


def test_two_players_three_wins_of_four_give_log_three():
    # A beat B 3 times, lost once: the MLE is θ_A − θ_B = ln 3 exactly.
    theta = bradley_terry(np.array([[0.0, 3.0], [1.0, 0.0]]), l2=0.0)
    assert theta[0] - theta[1] == pytest.approx(np.log(3.0), abs=1e-5)
    assert theta.sum() == pytest.approx(0.0, abs=1e-9)


def test_a_tournament_matches_statsmodels_logistic_regression():
    # Four players, every pair met, nobody undefeated: the unpenalised MLE exists.
    wins = np.array([[0, 6, 7, 9], [4, 0, 5, 8], [3, 5, 0, 6], [1, 2, 4, 0]], dtype=float)
    theta = bradley_terry(wins, l2=0.0)
    # The same model as a logistic regression on one row per game (player 3 fixed at 0).
    rows, ys = [], []
    for i in range(4):
        for j in range(4):
            for _ in range(int(wins[i, j])):
                x = np.zeros(4)
                x[i], x[j] = 1.0, -1.0
                rows += [x, -x]
                ys += [1.0, 0.0]
    fit = sm.Logit(np.array(ys), np.array(rows)[:, :3]).fit(disp=0)
    ref = np.append(fit.params, 0.0)
    assert theta - theta[3] == pytest.approx(ref, abs=1e-4)
    assert list(np.argsort(-theta)) == [0, 1, 2, 3]


def test_ties_count_half_and_unscored_goals_are_no_battle():
    s = np.array([[0.5, 0.5, 0.2], [1.0, np.nan, 0.0]])
    b = battles_from_scores(s)
    assert b[0, 0, 1] == b[0, 1, 0] == 0.5  # a tie
    assert b[0, 0, 2] == 1.0 and b[0, 2, 0] == 0.0
    assert b[1, 0, 1] == b[1, 1, 0] == 0.0  # model 1 was not scored on goal 1
    assert b[1, 0, 2] == 1.0
    assert np.all(b[:, [0, 1, 2], [0, 1, 2]] == 0)


def test_rank_models_orders_and_brackets_each_rating():
    rng = np.random.default_rng(0)
    strength = np.array([0.8, 0.5, 0.2])
    scores = np.clip(strength + rng.normal(0, 0.2, size=(40, 3)), 0, 1)
    r = rank_models(["weak?", "mid", "low"], scores, n_boot=100, seed=1)
    assert r.models == ["weak?", "mid", "low"]
    assert r.ratings == sorted(r.ratings, reverse=True)
    assert all(lo <= x <= hi for x, lo, hi in zip(r.ratings, r.ci_low, r.ci_high, strict=True))
    assert np.mean(r.ratings) == pytest.approx(1000.0)
    assert "bootstrap over goals" in r.method
    # The Elo scale: a rating gap of 400 is ten-to-one odds.
    assert ELO_SCALE * np.log(10) == pytest.approx(400.0)


def test_the_ranking_table_appears_with_three_models_only(records):
    goals = records.goals
    plans = [
        Plan(id=plan_id(g.id, "m:third"), goal_id=g.id, model="m:third", text="x", tokens=1) for g in goals
    ]
    grades = [grade(g, p, "j:one", [True, True, True, i % 2 == 0]) for i, (g, p) in enumerate(zip(goals, plans, strict=True))]
    data3 = EvalData.build(goals, records.plans + plans, records.grades + grades)
    t3 = build_tables(data3, stats=StatsConfig(bootstrap=100, ranking_bootstrap=60))
    assert t3.ranking is not None and set(t3.ranking.model) == {"m:base", "m:tuned", "m:third"}
    assert t3.ranking.iloc[0].model == "m:third"  # satisfies 3.5 of 4 items on average
    assert "papers" in t3.ranking.iloc[0].ci_method
    data2 = EvalData.build(records.goals, records.plans, records.grades)
    assert build_tables(data2, stats=StatsConfig(bootstrap=100)).ranking is None


