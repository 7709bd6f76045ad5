"""HealthBench-style agreement with human item labels, against hand-worked values."""

import pytest

from sciplan.evaluate import EvalData
from sciplan.evaluate.humans import HumanItem, HumanLabels
from sciplan.evaluate.stats import binary_agreement
from sciplan.metaeval.humans import item_agreement
from sciplan.records import Goal, Grade, GradeItem, Plan

RUBRIC = ["uses a control group", "reports effect sizes"]


def _labels() -> HumanLabels:
    rows = [  # (plan, item, annotator, satisfied)
        ("p1", 0, "x", True), ("p1", 0, "y", True), ("p1", 0, "z", False),
        ("p1", 1, "x", False), ("p1", 1, "y", False), ("p1", 1, "z", True),
        ("p2", 0, "x", True), ("p2", 0, "y", False),                        # humans split
        ("p2", 1, "x", True), ("p2", 1, "y", True), ("p2", 1, "z", True),
    ]
    return HumanLabels(items=[HumanItem(goal_id="g", plan=p, index=i, annotator=a, satisfied=s) for p, i, a, s in rows])


def _data() -> EvalData:
    goal = Goal(id="g", text="t", rubric=RUBRIC)
    plans = [Plan(id=p, goal_id="g", model="m", text=p) for p in ("p1", "p2")]
    grades = []
    for pid, verdicts in (("p1", (True, True)), ("p2", (False, True))):
        items = [GradeItem(index=i + 1, item=RUBRIC[i], satisfied=v) for i, v in enumerate(verdicts)]
        grades.append(Grade(id=f"gr-{pid}", goal_id="g", plan_id=pid, grader="judge", items=items,
                            score=sum(verdicts) / 2))
    return EvalData.build([goal], plans, grades)


def test_binary_agreement_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    ref = [True, False, True, True, False, False, True]
    pred = [True, True, False, True, False, True, True]
    got = binary_agreement(ref, pred)
    assert (got["tp"], got["fn"], got["fp"], got["tn"]) == (3, 1, 2, 1)
    assert got["precision_pos"] == pytest.approx(metrics.precision_score(ref, pred))
    assert got["recall_neg"] == pytest.approx(metrics.recall_score(ref, pred, pos_label=False))
    assert got["macro_f1"] == pytest.approx(metrics.f1_score(ref, pred, average="macro"))
    assert got["kappa"] == pytest.approx(metrics.cohen_kappa_score(ref, pred))


def test_judge_vs_majority_and_the_leave_one_out_band():
    out = item_agreement(_labels(), _data())
    assert out["units"] == 4 and out["split_units"] == 1
    (judge,) = out["judges"]
    # Majorities T, F, T on the three unsplit units; the judge says T, T, T.
    assert (judge["tp"], judge["fn"], judge["fp"], judge["tn"]) == (2, 0, 1, 0)
    assert judge["precision_pos"] == pytest.approx(2 / 3) and judge["recall_pos"] == 1.0
    assert judge["precision_neg"] is None and judge["recall_neg"] == 0.0
    assert judge["macro_f1"] == pytest.approx(0.4) and judge["kappa"] == pytest.approx(0.0)
    # The split unit is reported apart: the judge said "not satisfied" on it.
    assert judge["split_units"] == 1 and judge["split_judge_satisfied"] == 0.0
    band = {r["annotator"]: r["macro_f1"] for r in out["annotators"]}
    assert band == pytest.approx({"x": 1 / 3, "y": 1 / 3, "z": 0.25})
    assert out["band"] == pytest.approx({"min": 0.25, "mean": (1 / 3 + 1 / 3 + 0.25) / 3, "max": 1 / 3})
