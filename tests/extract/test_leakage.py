"""Criterion leakage: similarity and the judge's verdict per item, the combining rule, dataset rates."""

from __future__ import annotations

import pytest

from helpers.extract_judge import Judge
from sciplan.extract import LeakageConfig, LexicalEmbedder, check_leakage, leakage_rate, measure_leakage
from sciplan.extract.leakage import combine, goal_sentences, similarity_scores
from sciplan.records import Goal

GOAL = ("We want to know whether watering frequency changes tomato yield. "
        "The study must use replicated greenhouse plots and finish within one season.")
LEAKED = "Uses replicated greenhouse plots and finishes within one season."
FRESH = "Weighs every fruit per plant at harvest with a calibrated scale."


def test_goal_sentences():
    assert goal_sentences(GOAL) == [
        "We want to know whether watering frequency changes tomato yield.",
        "The study must use replicated greenhouse plots and finish within one season.",
        GOAL,
    ]


def test_similarity_flags_an_item_the_goal_states():
    leaked, fresh = similarity_scores(GOAL, [LEAKED, FRESH], LexicalEmbedder())
    assert leaked > 0.5 > fresh


@pytest.mark.parametrize("rule,model,sim,expected", [
    ("either", True, 0.1, True), ("either", False, 0.9, True), ("either", None, 0.1, False),
    ("both", True, 0.9, True), ("both", True, 0.1, False),
    ("model", True, 0.1, True), ("model", False, 0.99, False),
    ("similarity", True, 0.1, False), ("similarity", False, 0.8, True),
])
def test_combine_rules(rule, model, sim, expected):
    assert combine(model, sim, LeakageConfig(rule=rule, similarity_threshold=0.8)) is expected


async def test_check_leakage_with_the_judge_and_similarity(model_for):
    judge = Judge(stated=lambda item: item.startswith("Compares"))
    items = [LEAKED, FRESH, "Compares at least three watering schedules."]
    cfg = LeakageConfig(similarity_threshold=0.5, retries=0)
    leaks, error = await check_leakage(model_for(judge), GOAL, items, cfg, LexicalEmbedder())
    assert error is None and [lk.leaked for lk in leaks] == [True, False, True]
    assert [lk.model for lk in leaks] == [False, False, True] and leaks[0].similarity > 0.5

    # A judge whose answers never validate: similarity alone decides, and the error is kept.
    leaks, error = await check_leakage(model_for(Judge(fail={"leakage"})), GOAL, items, cfg, LexicalEmbedder())
    assert "never validated" in error and [lk.leaked for lk in leaks] == [True, False, False]

    # use_model off: no call at all.
    judge = Judge()
    leaks, _ = await check_leakage(model_for(judge), GOAL, items, cfg.model_copy(update={"use_model": False}),
                                   LexicalEmbedder())
    assert judge.calls == {} and [lk.leaked for lk in leaks] == [True, False, False]


def test_dataset_leakage_rates():
    recorded = Goal(id="a", text=GOAL, rubric=[LEAKED, FRESH],
                    meta={"leakage": {"items": [{"leaked": True}, {"leaked": False}]}})
    other = Goal(id="b", text=GOAL, rubric=[FRESH], meta={"leakage": {"items": [{"leaked": False}]}})
    bare = Goal(id="c", text=GOAL, rubric=[LEAKED, FRESH])
    assert leakage_rate([recorded, other, bare]) == (pytest.approx(1 / 3), 2)
    assert leakage_rate([bare]) == (None, 0)
    assert measure_leakage([bare], LexicalEmbedder(), 0.5) == 0.5
