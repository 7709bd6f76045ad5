"""κ statistics against hand-worked values and statsmodels; the mapping of judges' Grades to labels."""

from __future__ import annotations

import random

import numpy as np
import pytest
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from sciplan.records import Grade, GradeItem
from sciplan.study import cohen_kappa, fleiss_kappa, inter_annotator, judge_agreement
from sciplan.study.agreement import JURY, item_verdicts, mean_pair_agreement


def test_cohen_kappa_by_hand_and_against_statsmodels():
    x = list("YYYYYNNNNN")
    y = list("YYYNNNNNNY")
    # p_o = 7/10; p_e = .5*.4 + .5*.6 = .5; κ = (.7 - .5) / .5
    assert cohen_kappa(x, y) == pytest.approx(0.4)
    assert cohen_kappa(x, y) == pytest.approx(sm_cohens_kappa(np.array([[3, 2], [1, 4]])).kappa)
    rng = random.Random(0)
    for _ in range(5):
        a = [rng.choice("abc") for _ in range(60)]
        b = [v if rng.random() < 0.6 else rng.choice("abc") for v in a]
        table = np.array([[sum(p == i and q == j for p, q in zip(a, b, strict=False)) for j in "abc"] for i in "abc"])
        assert cohen_kappa(a, b) == pytest.approx(sm_cohens_kappa(table).kappa)


def test_cohen_kappa_is_undefined_when_chance_agreement_is_total():
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])


def test_fleiss_kappa_matches_statsmodels_with_equal_raters():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, size=40)
    data = np.array([[t if rng.random() < 0.7 else rng.integers(0, 3) for _ in range(4)] for t in truth])
    table, _ = aggregate_raters(data)
    assert fleiss_kappa([list(row) for row in data]) == pytest.approx(sm_fleiss(table, method="fleiss"))


def test_fleiss_kappa_with_unequal_raters_by_hand():
    units = [["a", "a", "a"], ["a", "b"], ["b", "b"], ["a"]]  # the last unit has one rating: skipped
    # P_i = 1, 0, 1 -> P̄ = 2/3; pooled a=4, b=3 of 7 -> P_e = 25/49; κ = (2/3 - 25/49) / (24/49) = 23/72
    assert mean_pair_agreement(units) == pytest.approx(2 / 3)
    assert fleiss_kappa(units) == pytest.approx(23 / 72)
    assert fleiss_kappa([["a", "a"], ["a", "a"]]) is None
    assert fleiss_kappa([["a"]]) is None


def test_inter_annotator_agreement_on_the_shared_goal(four_annotations):
    ia = inter_annotator(four_annotations)
    assert ia.goals == 1  # only g1 was seen twice
    # Preference: one unit [a, b]: P̄ = 0, P_e = 1/2 -> κ = -1.
    assert (ia.preference.n, ia.preference.agreement, ia.preference.kappa) == (1, 0.0, pytest.approx(-1.0))
    # Satisfied: units [T,T] [F,F] [T,F] [T,T]: P̄ = 3/4; pooled T = 5/8 -> P_e = 34/64; κ = 7/15.
    assert ia.satisfied.n == 4 and ia.satisfied.agreement == pytest.approx(0.75)
    assert ia.satisfied.kappa == pytest.approx(7 / 15)
    # Approval: units [T,T] [T,F]: P̄ = 1/2; pooled T = 3/4 -> P_e = 10/16; κ = -1/3.
    assert ia.approval.kappa == pytest.approx(-1 / 3)
    # Scores: |8-5| and |6-7| -> 2.
    assert ia.score_mad == pytest.approx(2.0)


def grade(
    judge: str,
    plan: str,
    score: float | None,
    sat: list[bool] | None = None,
    *,
    text: bool = True,
    base: int = 0,
    failed: bool = False,
) -> Grade:
    items = [GradeItem(index=i + base, item=f"item {i}" if text else "", satisfied=s) for i, s in enumerate(sat or [])]
    return Grade(
        id=f"{judge}-{plan}", goal_id=plan[:-1], plan_id=plan, grader=judge, items=items, score=score, failed=failed
    )


@pytest.fixture
def grades() -> list[Grade]:
    return [
        grade("J1", "g1a", 0.8, [True, True]),
        grade("J1", "g1b", 0.5, [False, True]),
        grade("J1", "g2a", 0.5, [False, True], text=False),
        grade("J1", "g2b", 0.5, [False, False], text=False),
        grade("J1", "g2b", 0.0, [True, True], failed=True),  # ignored: a failed grade is not a verdict
        grade("J1", "g3a", 0.2, [True, False], text=False, base=1),
        grade("J1", "g3b", 0.9, [True, True], text=False, base=1),
        grade("J2", "g1a", 0.4),
        grade("J2", "g1b", 0.6),
        grade("J2", "g2a", 0.7),
        grade("J2", "g2b", 0.3),
        grade("J2", "g3a", 0.2),
        grade("J2", "g3b", 0.9),
    ]


def test_judge_agreement_worked_example(four_annotations, grades):
    by = {j.judge: j for j in judge_agreement(four_annotations, grades)}
    assert list(by) == ["J1", "J2", JURY]
    j1 = by["J1"]
    # J1 prefers a on g1, ties on g2 (left out), prefers b on g3:
    # pairs (a,a) (b,a) (b,b): p_o = 2/3, p_e = 4/9, κ = 0.4.
    assert (j1.preference.n, j1.judge_ties) == (3, 1)
    assert j1.preference.agreement == pytest.approx(2 / 3) and j1.preference.kappa == pytest.approx(0.4)
    # 16 item pairs, 2 disagreements; human T 8/16, judge T 10/16: p_e = 1/2, κ = (7/8 - 1/2) / (1/2).
    assert j1.items.n == 16 and j1.items.agreement == pytest.approx(0.875) and j1.items.kappa == pytest.approx(0.75)
    j2 = by["J2"]
    # J2 prefers b, a, b on g1, g2, g3: pairs (a,b) (b,b) (a,a) (b,b): p_o = 3/4, p_e = 1/2.
    assert (j2.preference.n, j2.judge_ties) == (4, 0) and j2.preference.kappa == pytest.approx(0.5)
    assert j2.items.n == 0 and j2.items.kappa is None  # J2 gave no item verdicts
    jury = by[JURY]
    # Mean scores prefer a (.60 vs .55) on g1, a (.6 vs .4) on g2, b on g3: pairs (a,a) (b,a) (a,a) (b,b).
    assert jury.preference.n == 4 and jury.preference.kappa == pytest.approx(0.5)
    assert jury.items.kappa == pytest.approx(0.75)  # only J1 judged items


def test_item_verdicts_match_by_text_then_by_index():
    rubric = ["alpha", "beta", "gamma"]
    by_text = Grade(
        id="x",
        goal_id="g",
        plan_id="p",
        grader="j",
        items=[GradeItem(index=9, item="  GAMMA ", satisfied=True), GradeItem(index=9, item="alpha", satisfied=False)],
    )
    assert item_verdicts(by_text, rubric) == {2: True, 0: False}
    guideline = Grade(
        id="x", goal_id="g", plan_id="p", grader="j", items=[GradeItem(index=1, item="G1 specific", satisfied=True)]
    )
    assert item_verdicts(guideline, rubric) == {}
    one_based = Grade(
        id="x", goal_id="g", plan_id="p", grader="j", items=[GradeItem(index=i, satisfied=i == 3) for i in (1, 2, 3)]
    )
    assert item_verdicts(one_based, rubric) == {0: False, 1: False, 2: True}
    zero_based = Grade(
        id="x", goal_id="g", plan_id="p", grader="j", items=[GradeItem(index=i, satisfied=i == 0) for i in (0, 1, 2, 7)]
    )
    assert item_verdicts(zero_based, rubric) == {0: True, 1: False, 2: False}


def test_a_judge_split_on_an_item_gives_no_verdict(four_annotations):
    # Two usable grades of plan g1a by J1 (e.g. two grader settings) disagree on item 0: no verdict
    # there (never counted as "not satisfied"); they agree on item 1. Their scores average to a tie.
    split = [grade("J1", "g1a", 0.5, [True, True]), grade("J1", "g1a", 0.5, [False, True]), grade("J1", "g1b", 0.5)]
    split[1].id = "J1-g1a-other-settings"
    (j1,) = judge_agreement(four_annotations[:1], split)
    # A1 ticked item 1 of arm a: one pair (T, T).
    assert (j1.items.n, j1.items.agreement) == (1, 1.0)
    assert (j1.preference.n, j1.judge_ties) == (0, 1)
