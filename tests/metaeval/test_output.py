"""Metaeval output: the plain verdict, the CSV tables, and the section inside the evaluation report."""

import csv

import pytest

from sciplan.evaluate import EvalData, build_tables
from sciplan.evaluate.report import render_report
from sciplan.metaeval import section, separation_verdict, verdict_of, write_tables
from sciplan.records import Goal, Grade, GradeItem, Plan


def _result() -> dict:
    summary = {"grades": 10, "parse_rate": 0.9, "grader_auc": 0.53, "calls": 10}
    families = [{"family": "reference", "auc": None, "mean_score": 0.4},
                {"family": "vague", "auc": 0.55, "mean_score": 0.35}]
    uplift = [{"family": "injection", "style": "all", "scanner": False, "goals": 3, "uplift": 0.1,
               "ci_low": -0.05, "ci_high": 0.2}]
    return {"goals": 3, "variants": 12, "graders": {"local:smollm2": {"summary": summary, "families": families,
                                                                    "uplift": uplift}}}


@pytest.mark.parametrize("auc,words", [(0.95, "well"), (0.8, "moderately"), (0.65, "weakly"),
                                       (0.5, "near chance"), (0.2, "run against"), (None, "no AUC")])
def test_the_verdict_says_plainly_how_well_the_grader_separates(auc, words):
    text = separation_verdict("g", auc)
    assert words in text and (auc is None or f"AUC {auc:.2f}" in text)


def test_a_grader_with_one_score_for_every_plan_is_called_so():
    text = verdict_of("g", {"grader_auc": 0.5, "distinct_scores": 1, "reference_mean": 0.0})
    assert "the same score (0.00)" in text and "chance" in text
    assert "near chance" in verdict_of("g", {"grader_auc": 0.5, "distinct_scores": 3, "reference_mean": 0.2})


def test_tables_as_csv(tmp_path):
    paths = write_tables(_result(), tmp_path)
    assert [p.name for p in paths] == ["metaeval.json", "metaeval_summary.csv", "metaeval_families.csv",
                                       "metaeval_uplift.csv"]
    rows = list(csv.DictReader((tmp_path / "metaeval_families.csv").open()))
    assert [(r["grader"], r["family"], r["auc"]) for r in rows] == [("local:smollm2", "reference", ""),
                                                                    ("local:smollm2", "vague", "0.55")]


def test_the_section_joins_the_evaluation_report():
    goal = Goal(id="g", text="t", rubric=["a"])
    plans = [Plan(id=f"p{m}", goal_id="g", model=m, text="x") for m in ("A", "B")]
    grades = [Grade(id=f"gr{p.id}", goal_id="g", plan_id=p.id, grader="j", score=1.0,
                    items=[GradeItem(index=1, item="a", satisfied=True)]) for p in plans]
    data = EvalData.build([goal], plans, grades)
    html = render_report(data, build_tables(data), models=["A", "B"], baseline="A", metaeval=section(_result()))
    part = html[html.index('id="metaeval"'):]
    assert "near chance" in part and "AUC 0.53" in part and part.count("data:image/png;base64,") == 2
    assert 'id="metaeval"' not in render_report(data, build_tables(data), models=["A", "B"], baseline="A")
