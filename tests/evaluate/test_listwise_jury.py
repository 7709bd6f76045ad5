"""A listwise judge beside the jury: its graders, its grade names, its rows in the tables."""

from __future__ import annotations

import pytest

from sciplan.evaluate import JURY, EvalConfig, EvalData, StatsConfig, build_tables
from sciplan.evaluate.runner import _judges, judge_names
from sciplan.grade import Grader
from sciplan.grade.listwise import ListwiseGrader, listwise_name

SPEC = "openai:j@http://127.0.0.1:1/v1"


def test_the_jury_holds_per_plan_and_listwise_graders_under_distinct_names():
    cfg = EvalConfig(jury=[SPEC], listwise_jury=[SPEC])
    graders = _judges(cfg)
    assert [type(g) for g in graders] == [Grader, ListwiseGrader]
    assert [g.name for g in graders] == [SPEC, f"{SPEC} [listwise]"]
    assert judge_names(cfg) == {SPEC, listwise_name(SPEC)}


def test_listwise_grades_are_a_judge_of_their_own(hand):
    # Listwise grades carry a score and no item verdicts: they enter the scores, not the item tables.
    extra = []
    for g in hand.grades:
        if g.grader == "J1":
            extra.append(g.model_copy(update={"id": g.id + "-lw", "grader": listwise_name("J1"), "items": [],
                                              "variant": "listwise", "score": 0.7}))
    data = EvalData.build(hand.goals, hand.plans, hand.grades + extra)
    tables = build_tables(data, models=["A", "B"], stats=StatsConfig(bootstrap=100))
    s = tables.scores[(tables.scores.judge == listwise_name("J1")) & (tables.scores.domain == "all")]
    assert set(s.model) == {"A", "B"} and s["mean"].tolist() == pytest.approx([0.7, 0.7])
    assert listwise_name("J1") not in set(tables.items.judge)
    assert JURY in set(tables.scores.judge)
