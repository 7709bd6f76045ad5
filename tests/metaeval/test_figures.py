"""Every metaeval figure against values worked out by hand (module notes of sciplan.metaeval.figures)."""

import pytest

from sciplan.evaluate.stats import bootstrap_ci
from sciplan.metaeval import auc, grader_figures
from sciplan.records import Goal, Grade, GradeItem, Plan

RUBRIC = ["alpha item", "beta item", "gamma item"]
GOALS = {g: Goal(id=g, text=f"goal {g}", rubric=RUBRIC, reference=f"ref {g}") for g in ("A", "B")}


def _plan(goal: str, family: str, name: str, **meta) -> Plan:
    return Plan(id=f"{goal}-{name}", goal_id=goal, model=f"metaeval:{family}", text=name, meta={"family": family, **meta})


def _grade(plan: Plan, verdicts: str | None, *, scanner: bool = True, seed: int = 0) -> Grade:
    """`verdicts` like "TTF"; None: a failed grade."""
    gid = f"{plan.id}-{scanner}-{seed}"
    if verdicts is None:
        return Grade(id=gid, goal_id=plan.goal_id, plan_id=plan.id, grader="j", failed=True, error="bad json",
                     meta={"scanner": scanner, "seed": seed})
    items = [GradeItem(index=i + 1, item=RUBRIC[i], satisfied=v == "T") for i, v in enumerate(verdicts)]
    return Grade(id=gid, goal_id=plan.goal_id, plan_id=plan.id, grader="j", items=items,
                 score=sum(i.satisfied for i in items) / 3, meta={"scanner": scanner, "seed": seed})


def _fixture():
    P, G = {}, []

    def add(goal, family, name, verdicts, extra=(), **meta):
        p = _plan(goal, family, name, **meta)
        P[p.id] = p
        G.append(_grade(p, verdicts))
        for kw, v in extra:
            G.append(_grade(p, v, **kw))

    add("A", "reference", "ref", "TTT", extra=[({"seed": 1}, "TTF")])
    add("A", "removed", "rem0", "FTT", item=0)
    add("A", "removed", "rem1", "TTF", item=1)
    add("A", "vague", "vague", "FFF")
    add("A", "stuffing", "stuff", "TFF")
    add("A", "padding", "pad", "TTT")
    add("A", "injection", "inj", "TTT", extra=[({"scanner": False}, "TTT")], style="x")
    add("A", "flaw", "flaw", "TFT", kind="k")
    add("B", "reference", "ref", "TTF", extra=[({"seed": 1}, "TTF")])
    add("B", "removed", "rem0", "FTF", item=0)
    add("B", "removed", "rem2", "TTF", item=2)
    add("B", "vague", "vague", "FFF")
    add("B", "stuffing", "stuff", "TTT")
    add("B", "padding", "pad", "TTT")
    add("B", "injection", "inj", "TTF", extra=[({"scanner": False}, "TTT")], style="x")
    add("B", "flaw", "flaw", None, kind="k")
    return P, G


def test_auc_counts_ties_half_and_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    pos, neg = [1.0, 2 / 3], [2 / 3, 2 / 3, 1 / 3, 2 / 3]
    assert auc(pos, neg) == pytest.approx(6.5 / 8)
    y = [1] * len(pos) + [0] * len(neg)
    assert auc(pos, neg) == pytest.approx(metrics.roc_auc_score(y, pos + neg))
    assert auc([], [1.0]) is None


def test_every_figure_against_hand_computed_values():
    plans, grades = _fixture()
    figs = grader_figures(grades, plans, GOALS, n_boot=2000, seed=0)
    s = figs["summary"]
    assert s["grades"] == 20 and s["parse_rate"] == pytest.approx(19 / 20) and s["distinct_scores"] == 4
    # 33 of 42 labelled item verdicts right (flaws carry no label; scanner-off and seed grades left out).
    assert s["labelled_items"] == 42 and s["accuracy_given_parse"] == pytest.approx(33 / 42)
    # References [1, 2/3] vs the 9 degraded scores: 14.5 of 18 pairs.
    assert s["grader_auc"] == pytest.approx(14.5 / 18)
    # A rem0 hit, A rem1 miss, B rem0 hit; B rem2 not eligible (the reference missed item 2 too).
    assert s["removed_eligible"] == 3 and s["removed_recall"] == pytest.approx(2 / 3)
    assert s["other_items"] == 6 and s["false_flip_rate"] == pytest.approx(1 / 6)
    # SDs over seeds: A [1, 2/3] -> (1/3)/sqrt(2); B [2/3, 2/3] -> 0.
    assert s["consistency_plans"] == 2 and s["consistency_sd"] == pytest.approx((1 / 3) / 2**0.5 / 2)
    fam = {f["family"]: f for f in figs["families"]}
    assert fam["removed"]["auc"] == pytest.approx(6.5 / 8)
    assert fam["flaw"]["auc"] == pytest.approx(0.75) and fam["flaw"]["usable"] == 1 and fam["flaw"]["grades"] == 2
    assert fam["vague"]["auc"] == 1.0 and fam["stuffing"]["auc"] == pytest.approx(2.5 / 4)
    assert fam["reference"]["auc"] is None and fam["reference"]["mean_score"] == pytest.approx(5 / 6)


def test_uplift_with_its_bootstrap_ci():
    plans, grades = _fixture()
    up = {(r["family"], r["style"], r["scanner"]): r for r in grader_figures(grades, plans, GOALS)["uplift"]}
    stuffing = up[("stuffing", "all", True)]
    # Per goal: A 1/3 - 1, B 1 - 2/3. With two goals the bootstrap means are -2/3, -1/6, 1/3
    # (chances 1/4, 1/2, 1/4), so the 95% interval is their extremes.
    assert stuffing["goals"] == 2 and stuffing["uplift"] == pytest.approx(-1 / 6)
    assert (stuffing["ci_low"], stuffing["ci_high"]) == pytest.approx((-2 / 3, 1 / 3))
    assert (stuffing["ci_low"], stuffing["ci_high"]) == pytest.approx(bootstrap_ci([-2 / 3, 1 / 3]))
    assert up[("padding", "all", True)]["uplift"] == pytest.approx(1 / 6)
    assert up[("injection", "all", True)]["uplift"] == 0.0
    off = up[("injection", "x", False)]
    assert off["uplift"] == pytest.approx(1 / 6) and (off["ci_low"], off["ci_high"]) == pytest.approx((0.0, 1 / 3))


def test_items_the_removal_also_touched_are_no_false_flip():
    plans, grades = _fixture()
    # A's removal of item 1 also cut item 2's clause: item 2 moving is no false flip then.
    plans["A-rem1"].meta["touched"] = [2]
    s = grader_figures(grades, plans, GOALS)["summary"]
    assert s["other_items"] == 5 and s["false_flip_rate"] == 0.0
    # Its label (a wrong verdict) is dropped from accuracy too: 33 right of 41.
    assert s["labelled_items"] == 41 and s["accuracy_given_parse"] == pytest.approx(33 / 41)
