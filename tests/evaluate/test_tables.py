"""The tables on a hand-worked evaluation (exact numbers), and their CSV/JSON files."""

from __future__ import annotations

import csv
import json

import pytest
from scipy import stats as sps

from sciplan.evaluate import ALL, JURY, EvalData, StatsConfig, bootstrap_ci, build_tables, write_tables
from sciplan.evaluate.tables import EvalTables


def one(df, **where):
    for k, v in where.items():
        df = df[df[k] == v]
    assert len(df) == 1, f"expected one row for {where}, got {len(df)}"
    return df.iloc[0]


@pytest.fixture
def tables(hand) -> EvalTables:
    data = EvalData.build(hand.goals, hand.plans, hand.grades)
    return build_tables(
        data, models=["A", "B"], baseline="A", stats=StatsConfig(bootstrap=500, seed=1), guideline_ids=["G1", "G2"]
    )


def test_scores_per_judge_domain_and_jury(tables):
    s = tables.scores
    assert one(s, model="A", judge="J1", domain=ALL)["mean"] == pytest.approx(1 / 3)
    assert one(s, model="B", judge="J2", domain=ALL)["mean"] == pytest.approx(2 / 3)
    # Jury: mean of the judges per plan -> A .5/.25/.25, B 1/.25/.75.
    a = one(s, model="A", judge=JURY, domain=ALL)
    assert a["mean"] == pytest.approx(1 / 3) and a["goals"] == 3
    assert (a.ci_low, a.ci_high) == pytest.approx(bootstrap_ci([0.5, 0.25, 0.25], n_boot=500, seed=1))
    assert one(s, model="B", judge=JURY, domain="bio")["mean"] == pytest.approx(0.75)
    assert one(s, model="B", judge=JURY, domain="ml")["mean"] == pytest.approx((1 + 0.25) / 2)


def test_win_rate_tests_and_relative_improvement(tables):
    w = one(tables.wins, model="B", judge=JURY, domain=ALL)
    # Jury per goal: g1 B wins (1 vs .5), g2 tie (.25), g3 B wins (.75 vs .25).
    assert (w.wins, w.ties, w.losses) == (2, 1, 0)
    assert w.win_rate == pytest.approx(2.5 / 3)
    assert w.sign_p == pytest.approx(0.5)  # 2 wins, 0 losses: 2 * (1/2)^2
    assert w.wilcoxon_p == pytest.approx(sps.wilcoxon([0.5, 0.5]).pvalue)
    w1 = one(tables.wins, model="B", judge="J1", domain=ALL)
    assert (w1.wins, w1.ties, w1.losses) == (2, 1, 0)
    assert "A" not in set(tables.wins.model)  # the baseline is not compared with itself
    imp = one(tables.improvement, model="B", judge=JURY, domain=ALL)
    assert imp.relative_improvement == pytest.approx(1.0)  # (2/3 - 1/3) / (1/3)
    assert imp.ci_low <= imp.relative_improvement <= imp.ci_high
    m = tables.win_matrix.set_index(["model", "opponent"]).win_rate
    assert m[("B", "A")] == pytest.approx(2.5 / 3) and m[("A", "B")] == pytest.approx(0.5 / 3)


def test_guideline_and_item_rates(tables):
    g = tables.guidelines
    # Unsatisfied items violate G1: A has 4 of 6 unsatisfied with J1, 8 of 12 over the jury.
    assert one(g, model="A", judge="J1", guideline="G1").rate == pytest.approx(4 / 6)
    assert one(g, model="A", judge=JURY, guideline="G1").rate == pytest.approx(8 / 12)
    assert one(g, model="A", judge=JURY, guideline="G2").rate == 0
    it = tables.items
    assert one(it, goal_id="g1", index=0, model="A", judge=JURY).satisfied == 1.0
    assert one(it, goal_id="g3", index=1, model="B", judge=JURY).satisfied == 0.5
    assert one(it, goal_id="g3", index=1, model="B", judge=JURY)["item"] == "g3 item two"


def test_inter_judge_agreement(tables):
    a = tables.agreement
    # 12 (plan, item) units, 8 agree; each judge says "satisfied" 6 times: p_e = .5, κ = (2/3 - 1/2) / (1/2).
    fleiss = one(a, measure="fleiss_kappa")
    cohen = one(a, measure="cohen_kappa")
    assert fleiss.units == cohen.units == 12
    assert fleiss.agreement == pytest.approx(2 / 3) and cohen.agreement == pytest.approx(2 / 3)
    assert fleiss.kappa == pytest.approx(1 / 3) and cohen.kappa == pytest.approx(1 / 3)
    assert (cohen.rater_a, cohen.rater_b, cohen.plans) == ("J1", "J2", 6)


def test_one_judge_has_no_agreement_rows_and_one_model_no_wins(hand):
    grades = [g for g in hand.grades if g.grader == "J1"]
    plans = [p for p in hand.plans if p.model == "A"]
    t = build_tables(EvalData.build(hand.goals, plans, grades))
    assert t.agreement.empty and t.wins.empty and t.improvement.empty and t.win_matrix.empty
    assert one(t.scores, model="A", judge=JURY, domain=ALL)["mean"] == pytest.approx(1 / 3)


def test_tables_written_as_csv_and_json(tables, tmp_path):
    tables.items.loc[0, "item"] = "=HYPERLINK('http://x')"
    paths = write_tables(tables, tmp_path)
    names = {p.name for p in paths}
    for name in ("scores", "goal_scores", "wins", "win_matrix", "improvement", "guidelines", "items", "agreement"):
        assert {f"{name}.csv", f"{name}.json"} <= names
    rows = json.loads((tmp_path / "wins.json").read_text())
    jury = next(r for r in rows if r["judge"] == JURY and r["domain"] == ALL)
    assert jury["win_rate"] == pytest.approx(2.5 / 3) and jury["wins"] == 2
    with open(tmp_path / "scores.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == len(tables.scores)
    # Model-written text cannot become a spreadsheet formula in the CSV; the JSON keeps it exact.
    assert "'=HYPERLINK" in (tmp_path / "items.csv").read_text()
    assert json.loads((tmp_path / "items.json").read_text())[0]["item"] == "=HYPERLINK('http://x')"
    # JSON has null, never NaN, where a value is undefined.
    assert "NaN" not in (tmp_path / "agreement.json").read_text()


def test_goal_scores_are_the_per_goal_numbers(tables):
    g = tables.goal_scores
    assert one(g, goal_id="g1", model="A", judge="J1").score == pytest.approx(0.5)
    assert one(g, goal_id="g3", model="B", judge=JURY).score == pytest.approx(0.75)
    assert one(g, goal_id="g3", model="B", judge=JURY).domain == "bio"
    assert len(g) == 3 * 2 * 3 and set(g.scored_samples) == {1} and g.failed_grades.sum() == 0


def test_every_interval_states_its_method(tables):
    for name in ("scores", "wins", "improvement"):
        methods = set(getattr(tables, name).ci_method)
        assert methods == {"percentile bootstrap over papers (cluster bootstrap), 500 resamples, 95%"}, name


def test_goals_of_one_paper_widen_the_score_ci(hand):
    # The same records with all three goals from one paper: resampling papers has one
    # cluster, so the interval collapses to that paper's mean and says so.
    goals = [g.model_copy(update={"paper_id": "P"}) for g in hand.goals]
    data = EvalData.build(goals, hand.plans, hand.grades)
    by_goal = build_tables(data, models=["A", "B"], stats=StatsConfig(bootstrap=500, resample="goals"))
    by_paper = build_tables(data, models=["A", "B"], stats=StatsConfig(bootstrap=500))
    g, p = one(by_goal.scores, model="B", judge=JURY, domain=ALL), one(by_paper.scores, model="B", judge=JURY, domain=ALL)
    assert g.ci_low < g["mean"] < g.ci_high
    assert p.ci_low == pytest.approx(p["mean"]) == pytest.approx(p.ci_high)
    assert "over goals" in g.ci_method and "over papers" in p.ci_method


def test_judge_parse_rate(hand, make_grade):
    goal, plan = hand.goals[0], hand.plans[0]
    extra = [make_grade(goal, plan, "J3", [False, False], failed=True), make_grade(goal, hand.plans[3], "J3", [True, True])]
    data = EvalData.build(hand.goals, hand.plans, hand.grades + extra)
    j = build_tables(data, models=["A", "B"], stats=StatsConfig(bootstrap=100)).judges.set_index("judge")
    assert j.loc["J1"].parse_rate == 1.0 and j.loc["J1"].grades == 6
    assert (j.loc["J3"].grades, j.loc["J3"].failed, j.loc["J3"].parse_rate) == (2, 1, 0.5)


def test_agreement_reports_krippendorff_alpha_beside_fleiss(tables):
    a = tables.agreement.set_index("measure")
    assert {"fleiss_kappa", "krippendorff_alpha"} <= set(a.index)
    assert a.loc["krippendorff_alpha"].units == a.loc["fleiss_kappa"].units


def test_weighted_goals_score_by_the_healthbench_rule(hand):
    # g1's second item becomes a pitfall worth −1: B met both items on g1 by J1 -> (1 − 1) / 1 = 0.
    goals = [g.model_copy(update={"weights": [1.0, -1.0]}) if g.id == "g1" else g for g in hand.goals]
    data = EvalData.build(goals, hand.plans, hand.grades)
    s = data.scores
    b_g1 = s[(s.goal_id == "g1") & (s.model == "B") & (s.judge == "J1")].score.iloc[0]
    a_g1 = s[(s.goal_id == "g1") & (s.model == "A") & (s.judge == "J1")].score.iloc[0]
    assert b_g1 == 0.0 and a_g1 == 1.0  # A met only the positive item
    assert s[(s.goal_id == "g2") & (s.model == "B") & (s.judge == "J1")].score.iloc[0] == 0.5  # unchanged


def test_scores_are_reported_with_failed_grades_left_out_and_counted_as_zero(hand, make_grade):
    # J1's grade of model A's plan for g1 failed (it scored .5 before): left out, the mean
    # is over g2 and g3; counted as 0, g1 adds a zero.
    a_g1 = next(p for p in hand.plans if p.model == "A" and p.goal_id == "g1")
    grades = [g for g in hand.grades if not (g.grader == "J1" and g.plan_id == a_g1.id)]
    goal = next(g for g in hand.goals if g.id == "g1")
    grades.append(make_grade(goal, a_g1, "J1", [True, True], failed=True))
    data = EvalData.build(hand.goals, hand.plans, grades)
    s = build_tables(data, models=["A", "B"], baseline="A", stats=StatsConfig(bootstrap=100, seed=1),
                     guideline_ids=["G1", "G2"]).scores
    j1 = one(s, model="A", judge="J1", domain=ALL)
    assert j1["mean"] == pytest.approx((0 + 0.5) / 2) and j1["goals"] == 2 and j1["failed_grades"] == 1
    assert j1["mean_failed_as_0"] == pytest.approx((0 + 0 + 0.5) / 3)
    # Without failures both views agree.
    b = one(s, model="B", judge="J1", domain=ALL)
    assert b["mean"] == pytest.approx(b["mean_failed_as_0"])
    # The jury: judges' failed-as-0 scores averaged per plan (g1: J1 0, J2 .5).
    jury = one(s, model="A", judge=JURY, domain=ALL)
    assert jury["mean_failed_as_0"] == pytest.approx((0.25 + 0.25 + 0.25) / 3)
