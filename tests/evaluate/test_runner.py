"""`run_eval` end to end with the bundled model: real plans, real grades, tables, report; reruns are free."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest

from sciplan.errors import SciplanError
from sciplan.evaluate import JURY, EvalConfig, load_eval_config, load_goals, run_eval, select_goals
from sciplan.evaluate.runner import AUTHORS, reference_plans
from sciplan.jsonl import read_records
from sciplan.llm import ledger
from sciplan.records import Failure, Goal, Grade, Plan

pytestmark = pytest.mark.model


def test_real_plans_and_real_grades(real_eval):
    r = real_eval.result
    plans = read_records(real_eval.out / "plans.jsonl", Plan)
    grades = read_records(real_eval.out / "grades.jsonl", Grade)
    generated = next(p for p in plans if p.goal_id == "heldout-phys-1")
    assert generated.model == "local:smollm2" and generated.text.strip() and generated.tokens > 0
    # The seeded plan is not written again; both goals' reference solutions are graded too.
    assert r.new_plans == 1 and r.new_grades == 4
    references = {p.id for p in reference_plans(r.data.goals.values())}
    assert len(references) == 2 and {g.plan_id for g in grades} == {p.id for p in plans} | references
    rubric = {g.id: len(g.rubric) for g in r.data.goals.values()}
    for g in grades:
        assert g.grader == "local:smollm2" and g.variant == "violations"
        # A real verdict per rubric item, or a failure that says why: never a silent zero.
        assert (len(g.items) == rubric[g.goal_id] and g.score is not None) or (g.failed and g.error)
    s = r.tables.scores
    jury = s[(s.judge == JURY) & (s.domain == "all") & (s.model == "local:smollm2")]
    assert len(jury) == 1 and jury.iloc[0]["goals"] == sum(not g.failed for g in grades if g.plan_id not in references)
    # The paper authors' row beside the model, from the real grades of the references.
    authors = s[(s.judge == JURY) & (s.domain == "all") & (s.model == AUTHORS)]
    assert len(authors) == 1 and authors.iloc[0]["goals"] == sum(not g.failed for g in grades if g.plan_id in references)


def test_outputs_on_disk(real_eval):
    out = real_eval.out
    assert (out / "report.html").stat().st_size > 20_000
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["jury"] == ["local:smollm2"] and cfg["plan"]["max_tokens"] == 80
    for name in ("scores", "goal_scores", "wins", "win_matrix", "improvement", "guidelines", "items", "agreement"):
        assert (out / "tables" / f"{name}.csv").is_file()
        json.loads((out / "tables" / f"{name}.json").read_text())
    assert str(real_eval.result.report) == str(out / "report.html")


def test_rerun_makes_no_call_and_a_fresh_folder_is_served_by_the_cache(real_eval, tmp_path):
    goals = list(real_eval.result.data.goals.values())
    cfg = load_eval_config(real_eval.config_path)
    ledger.reset()
    again = asyncio.run(run_eval(goals, cfg, real_eval.out))
    assert (again.new_plans, again.new_grades) == (0, 0)
    assert ledger.total().calls == 0 and ledger.total().cache_hits == 0  # resumed by id: not even a lookup
    assert again.tables.scores.equals(real_eval.result.tables.scores)

    fresh = tmp_path / "eval"
    shutil.copytree(real_eval.out, fresh, ignore=shutil.ignore_patterns("grades.jsonl", "tables", "report.html"))
    ledger.reset()
    regraded = asyncio.run(run_eval(goals, cfg, fresh))
    assert regraded.new_grades == 4 and ledger.total().calls == 0 and ledger.total().cache_hits >= 4


def test_goal_selection_records_bad_goals_and_goes_on(tmp_path):
    goals = [
        Goal(id="a", text="t", rubric=["x"], split="test"),
        Goal(id="b", text="t", rubric=[], split="test"),
        Goal(id="a", text="dup", rubric=["x"], split="test"),
        Goal(id="c", text="t", rubric=["x"], split="train"),
    ]
    chosen = select_goals(goals, EvalConfig(split="test"), tmp_path / "failures.jsonl")
    assert [g.id for g in chosen] == ["a"]
    failures = read_records(tmp_path / "failures.jsonl", Failure)
    assert {f.input for f in failures} == {"goal a", "goal b"}
    with pytest.raises(SciplanError, match="no goals of split 'dev' with a rubric"):
        select_goals(goals, EvalConfig(split="dev"))


def test_goal_files_name_the_file(tmp_path):
    with pytest.raises(SciplanError, match="no such goals file"):
        load_goals(tmp_path / "none.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    with pytest.raises(SciplanError, match=f"{bad}: no valid goals .*text"):
        load_goals(bad)


def test_human_labels_join_the_tables_and_the_report_without_model_calls(real_eval, tmp_path):
    from sciplan.evaluate import analyse, item_verdicts

    a, b = sorted(read_records(real_eval.out / "plans.jsonl", Plan), key=lambda p: p.goal_id)
    labels = tmp_path / "labels.jsonl"
    # Item labels on the real plans, named by plan id and by model.
    labels.write_text(
        json.dumps({"goal_id": a.goal_id, "plan": a.id, "index": 0, "satisfied": True})
        + "\n"
        + json.dumps({"goal_id": b.goal_id, "plan": "local:smollm2", "index": 1, "satisfied": False})
        + "\n"
    )
    cfg = load_eval_config(real_eval.config_path, human_labels=labels)
    ledger.reset()
    shutil.copytree(real_eval.out, tmp_path / "eval", ignore=shutil.ignore_patterns("tables", "report.html"))
    result = analyse(tmp_path / "eval", list(real_eval.result.data.goals.values()), cfg)
    assert ledger.total().calls == 0
    human = result.tables.human_agreement
    assert set(human.judge) == {"local:smollm2", JURY} and set(human["labels"]) == {"preference", "items"}
    # The judge's own verdicts on the two labelled items, from its real grades.
    goals = real_eval.result.data.goals
    verdicts = {g.plan_id: item_verdicts(g, goals[g.goal_id].rubric) for g in result.data.grades if not g.failed}
    judged = [(True, verdicts[a.id][0])] if 0 in verdicts.get(a.id, {}) else []
    judged += [(False, verdicts[b.id][1])] if 1 in verdicts.get(b.id, {}) else []
    for judge in ("local:smollm2", JURY):  # one judge: the jury is that judge
        items = human[(human.judge == judge) & (human["labels"] == "items")].iloc[0]
        assert (items.n, items.unmatched) == (len(judged), 2 - len(judged))
        if judged:
            assert items.agreement == pytest.approx(sum(h == j for h, j in judged) / len(judged))
    assert (tmp_path / "eval" / "tables" / "human_agreement.csv").is_file()
    assert "with human labels" in result.report.read_text()
