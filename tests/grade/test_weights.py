"""Weighted, signed (pitfall) and veto rubric items: HealthBench's rule against hand-computed values."""

from __future__ import annotations

import pytest

from sciplan.grade.weights import grade_verdicts, rescore, weighted_score
from sciplan.records import Goal, Grade, GradeItem

# Three positive items worth 5, 3 and 2 points and one pitfall worth −4.
GOAL = Goal(
    id="w",
    text="A goal.",
    rubric=[
        {"text": "Pre-registers the hypothesis.", "weight": 5},
        {"text": "Reports effect sizes.", "weight": 3},
        {"text": "Shares the code.", "weight": 2},
        {"text": "Tunes on the test set.", "weight": -4, "veto": True},
    ],
)


def test_structured_items_load_into_texts_weights_and_vetoes():
    assert GOAL.rubric == ["Pre-registers the hypothesis.", "Reports effect sizes.", "Shares the code.", "Tunes on the test set."]
    assert GOAL.weights == [5.0, 3.0, 2.0, -4.0] and GOAL.veto == [3]
    mixed = Goal(id="m", text="t", rubric=["plain", {"text": "pitfall", "weight": -2}])
    assert mixed.weights == [1.0, -2.0]
    # A released-dataset row (plain strings) loads unchanged: every item weight 1, positive.
    plain = Goal(id="p", text="t", rubric=["a", "b"])
    assert plain.weights == [] and plain.item_weights() == [1.0, 1.0] and plain.veto == []
    assert Goal.model_validate_json(GOAL.model_dump_json()) == GOAL  # the JSONL round trip
    with pytest.raises(ValueError, match="weights has 1 entries for 2 rubric items"):
        Goal(id="x", text="t", rubric=["a", "b"], weights=[1.0])
    with pytest.raises(ValueError, match="veto indices"):
        Goal(id="x", text="t", rubric=["a"], veto=[3])


@pytest.mark.parametrize(
    "verdicts,score,earned",
    [
        ([True, True, True, False], 1.0, 10.0),  # everything, no pitfall: 10 / 10
        ([True, False, True, False], 0.7, 7.0),  # 5 + 2 of 10 positive points
        ([False, True, False, False], 0.3, 3.0),
        ([True, True, True, True], 0.6, 6.0),  # the pitfall costs 4: (10 − 4) / 10
        ([False, True, False, True], 0.0, -1.0),  # 3 − 4 < 0: clipped to 0
        ([True, None, None, False], 0.5, 5.0),  # no verdict earns nothing
    ],
)
def test_healthbench_rule(verdicts, score, earned):
    w = weighted_score(GOAL, verdicts)
    assert w.score == pytest.approx(score) and w.earned == pytest.approx(earned) and w.positive == 10.0


def test_a_failed_veto_is_reported():
    assert weighted_score(GOAL, [True, True, True, True]).vetoed == (3,)  # the pitfall veto was shown
    assert weighted_score(GOAL, [True, True, True, False]).vetoed == ()
    positive_veto = GOAL.model_copy(update={"veto": [0]})
    assert weighted_score(positive_veto, [False, True, True, False]).vetoed == (0,)  # a must-have was missed
    assert weighted_score(positive_veto, [None, True, True, False]).vetoed == (0,)  # no verdict is no pass


def test_only_pitfalls():
    g = Goal(id="n", text="t", rubric=[{"text": "Pads the plan.", "weight": -1}, {"text": "Is vague.", "weight": -3}])
    assert weighted_score(g, [False, False]).score == 1.0
    assert weighted_score(g, [False, True]).score == pytest.approx(0.25)


def test_rescore_a_grade_by_text_or_index():
    items = [
        GradeItem(index=1, item="Pre-registers the hypothesis.", satisfied=True),
        GradeItem(index=2, item="", satisfied=False),  # placed by its 1-based index
        GradeItem(index=3, item="shares   the CODE.", satisfied=True),  # whitespace and case ignored
        GradeItem(index=4, item="Tunes on the test set.", satisfied=False),
    ]
    grade = Grade(id="x", goal_id="w", plan_id="p", grader="j", items=items, score=0.5)
    assert grade_verdicts(GOAL, grade) == [True, False, True, False]
    new, w = rescore(GOAL, grade)
    assert new.score == pytest.approx(0.7) and new.meta["weighted"] == {"earned": 7.0, "positive": 10.0, "vetoed": []}
    plain = Goal(id="p", text="t", rubric=["a", "b"])
    same, none = rescore(plain, grade)
    assert same is grade and none is None  # a plain rubric keeps the grader's own score


async def test_the_grader_scores_weighted_items_by_the_healthbench_rule(scripted_grader, answers, make_plan):
    # Items 1 and 3 met, item 2 violates G1, the pitfall (item 4) is shown: (5 + 2 − 4) / 10.
    grader = scripted_grader([answers.verdicts([], ["G1"], [], [])])
    grade = await grader.grade(GOAL, make_plan(goal=GOAL))
    assert [i.satisfied for i in grade.items] == [True, False, True, True]
    assert grade.score == pytest.approx(0.3) and grade.meta["weighted"] == {"earned": 3.0, "positive": 10.0, "vetoed": [3]}
    # The same answer on a plain rubric keeps the share of items met.
    plain = GOAL.model_copy(update={"weights": [], "veto": []})
    again = await scripted_grader([answers.verdicts([], ["G1"], [], [])]).grade(plain, make_plan(goal=plain))
    assert again.score == pytest.approx(0.75) and "weighted" not in again.meta
