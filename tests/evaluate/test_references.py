"""The goals' reference solutions graded as the "paper authors" row beside the models."""

from __future__ import annotations

from sciplan.evaluate import JURY, EvalConfig, analyse
from sciplan.evaluate.runner import AUTHORS, reference_plans
from sciplan.jsonl import append_records
from sciplan.plan import plan_id

MODEL = "openai:a@http://127.0.0.1:1/v1"
JUDGE = "openai:j@http://127.0.0.1:1/v1"


def test_reference_solutions_are_the_paper_authors_row(hand, make_grade, tmp_path):
    goals = [g.model_copy(update={"reference": f"The authors' plan for {g.id}."}) for g in hand.goals]
    goals[2] = goals[2].model_copy(update={"reference": "  "})  # blank: no row for that goal
    refs = reference_plans(goals)
    assert [p.goal_id for p in refs] == ["g1", "g2"] and {p.model for p in refs} == {AUTHORS}
    out = tmp_path / "eval"
    plans = [
        p.model_copy(update={"model": MODEL, "id": plan_id(p.goal_id, MODEL)}) for p in hand.plans if p.model == "A"
    ]
    append_records(out / "plans.jsonl", plans)
    by_id = {g.id: g for g in goals}
    grades = [make_grade(by_id[p.goal_id], p, JUDGE, [True, False]) for p in plans]
    grades += [make_grade(by_id[p.goal_id], p, JUDGE, [True, True]) for p in refs]
    append_records(out / "grades.jsonl", grades)
    cfg = EvalConfig(models=[MODEL], jury=[JUDGE], stats={"bootstrap": 100})
    result = analyse(out, goals, cfg)
    s = result.tables.scores.set_index(["model", "judge", "domain"])
    assert s.loc[(AUTHORS, JURY, "all")]["mean"] == 1.0 and s.loc[(AUTHORS, JURY, "all")]["goals"] == 2
    assert s.loc[(MODEL, JURY, "all")]["mean"] == 0.5
    assert "paper authors" in result.report.read_text()
    # Turned off, the references are neither graded nor shown.
    off = analyse(out, goals, cfg.model_copy(update={"references": False}))
    assert AUTHORS not in set(off.tables.scores.model)


def test_the_report_states_the_interval_method_and_shows_parse_rates_and_ranking(records, tmp_path):
    from sciplan.evaluate import EvalData, StatsConfig, build_tables, render_report
    from sciplan.evaluate.tables import ci_method
    from sciplan.records import Plan

    from .conftest import grade

    goals = records.goals
    third = [Plan(id=plan_id(g.id, "m:third"), goal_id=g.id, model="m:third", text="x") for g in goals]
    grades = records.grades + [grade(g, p, "j:one", [True] * 4) for g, p in zip(goals, third, strict=True)]
    data = EvalData.build(goals, records.plans + third, grades)
    stats = StatsConfig(bootstrap=100, ranking_bootstrap=50)
    tables = build_tables(data, stats=stats)
    html = render_report(data, tables, models=data.models, baseline=data.models[0], settings={"ci_method": ci_method(stats)})
    assert "percentile bootstrap over papers (cluster bootstrap), 100 resamples, 95%" in html
    assert "Bradley–Terry ratings" in html and "parse rate" in html
