"""How goals, plans and grades are joined: jury means, samples, failures, re-grades, item indices."""

from __future__ import annotations

import pytest

from sciplan.evaluate import JURY, EvalData, item_indices
from sciplan.plan import plan_id
from sciplan.records import Goal, Grade, GradeItem, Plan

GOAL = Goal(id="g", text="A goal.", domain="ml", rubric=["alpha item", "beta item", "gamma item"])


def plan(model: str, sample: int = 0) -> Plan:
    return Plan(id=plan_id("g", model, sample), goal_id="g", model=model, text="plan", sample=sample)


def test_jury_is_the_mean_of_judges_and_failed_grades_are_left_out(make_grade):
    grade = make_grade
    p = plan("m")
    grades = [
        grade(GOAL, p, "j1", [True, True, False]),
        grade(GOAL, p, "j2", [True, False, False]),
        grade(GOAL, p, "j3", [True, True, True], failed=True),
    ]
    data = EvalData.build([GOAL], [p], grades)
    s = data.scores.set_index("judge")
    assert s.loc["j1", "score"] == pytest.approx(2 / 3)
    assert s.loc["j3", "score"] != s.loc["j3", "score"]  # NaN: a failed grade is no score
    assert s.loc[JURY, "score"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert s.loc[JURY, "failed"] == 1
    # Item verdicts come only from usable grades.
    assert set(data.items.judge) == {"j1", "j2"} and len(data.items) == 6


def test_goal_score_is_the_mean_over_samples(make_grade):
    grade = make_grade
    p0, p1 = plan("m", 0), plan("m", 1)
    data = EvalData.build(
        [GOAL], [p0, p1], [grade(GOAL, p0, "j", [True, True, True]), grade(GOAL, p1, "j", [False] * 3)]
    )
    assert data.goal_scores("j").loc["g", "m"] == pytest.approx(0.5)
    assert data.goal_scores(JURY).loc["g", "m"] == pytest.approx(0.5)


def test_a_regraded_id_counts_once_and_orphans_are_dropped(make_grade):
    grade = make_grade
    p = plan("m")
    first = grade(GOAL, p, "j", [False] * 3, failed=True)
    again = grade(GOAL, p, "j", [True, False, False])
    assert first.id == again.id
    stray = Grade(id="x", goal_id="g", plan_id="not-a-plan", grader="j", score=1.0)
    data = EvalData.build([GOAL], [p, Plan(id="p2", goal_id="unknown", model="m", text="")], [first, again, stray])
    assert len(data.grades) == 1 and data.orphans == 1 and list(data.plans) == [p.id]
    assert data.scores.set_index("judge").loc["j", "score"] == pytest.approx(1 / 3)
    # A failed grade written after a usable one of the same id never hides its verdict.
    data = EvalData.build([GOAL], [p], [again, first])
    assert data.grades == [again] and len(data.items) == 3


def test_item_indices_by_text_then_one_or_zero_based():
    def g(items):
        return Grade(id="x", goal_id="g", plan_id="p", grader="j", items=items, score=0.0)

    one_based = g([GradeItem(index=i) for i in (1, 2, 3)])
    zero_based = g([GradeItem(index=i) for i in (0, 1, 2)])
    by_text = g([GradeItem(index=9, item="Gamma  ITEM"), GradeItem(index=7)])
    assert item_indices(one_based, GOAL.rubric) == [0, 1, 2]
    assert item_indices(zero_based, GOAL.rubric) == [0, 1, 2]
    assert item_indices(by_text, GOAL.rubric) == [2, None]


def test_guidelines_view_grades_score_but_give_no_rubric_items(make_grade):
    grade = make_grade
    p = plan("m")
    g = grade(GOAL, p, "j", [True, False, True])
    g.view = "guidelines"
    data = EvalData.build([GOAL], [p], [g])
    assert data.items.empty
    assert data.scores.set_index("judge").loc["j", "score"] == pytest.approx(2 / 3)
