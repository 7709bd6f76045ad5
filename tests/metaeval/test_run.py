"""metaeval end to end on a scripted grader: deterministic variants, grades, files, resume, CLI."""

import json
import re

import pytest
from typer.testing import CliRunner

from helpers.scripted import scripted_model
from sciplan.data import data_path
from sciplan.grade import GraderConfig
from sciplan.jsonl import read_records
from sciplan.llm import Request
from sciplan.metaeval import MetaevalConfig, build_variants, figures_from, jobs_for, run_metaeval
from sciplan.records import Goal, Grade, Plan

SHIPPED = data_path("train_goals.jsonl")


def _goals() -> list[Goal]:
    return read_records(SHIPPED, Goal)


def _stems(text: str) -> set[str]:
    return {w[:5] for w in re.findall(r"[a-z]{4,}", text.casefold())}


def _respond(request: Request) -> str:
    """A keyword judge: an item is satisfied when the plan shares 3 word stems with it."""
    user = request.messages[-1]["content"]
    plan = re.search(r"<<<PLAN \w+>>>\n(.*)\n<<<END PLAN", user, re.S).group(1)
    items = re.findall(r"^\s*(\d+)\. (.+)$", user.split("<<<PLAN")[0], re.M)
    verdicts = [{"index": int(i), "excerpt": "the plan", "reason": "keywords",
                 "satisfied": len(_stems(t) & _stems(plan)) >= 3} for i, t in items]
    return json.dumps({"verdicts": verdicts})


def test_variants_are_deterministic_from_the_seed():
    goals = _goals()
    a, b = build_variants(goals, MetaevalConfig(seed=3)), build_variants(goals, MetaevalConfig(seed=3))
    assert [v.id for v in a] == [v.id for v in b] and [v.text for v in a] == [v.text for v in b]
    other = build_variants(goals, MetaevalConfig(seed=4))
    assert [v.id for v in a] != [v.id for v in other]
    fams = {v.meta["family"] for v in a}
    assert fams == {"reference", "removed", "flaw", "other_goal", "vague", "stuffing", "padding", "injection"}
    ref = {v.goal_id: v.text for v in a if v.meta["family"] == "reference"}
    for v in a:
        if v.meta["family"] == "removed":
            assert all(c not in v.text for c in v.meta["removed"]) and len(v.text) < len(ref[v.goal_id])
        if v.meta["family"] == "padding":
            assert v.text.startswith(ref[v.goal_id]) and len(v.text) >= 2 * len(ref[v.goal_id])
        if v.meta["family"] == "other_goal":
            assert v.meta["source_goal"] != v.goal_id and v.text != ref[v.goal_id]


async def test_run_end_to_end_on_a_scripted_grader(tmp_path):
    goals = _goals()[:4]
    cfg = MetaevalConfig(grader=GraderConfig(variant="binary", view="rubric", retries=0), consistency_seeds=1,
                         injections=2, bootstrap=200)
    model = scripted_model(respond=_respond)
    result = await run_metaeval(goals, cfg, tmp_path, models=[model])
    variants = read_records(tmp_path / "variants.jsonl", Plan)
    grades = read_records(tmp_path / "grades.jsonl", Grade)
    jobs = jobs_for(variants, 1)
    # Injections are graded twice (scanner on and off), references once more per extra seed.
    assert len(grades) == len(jobs) == len(variants) + 8 + 4
    summary = result["graders"][model.name]["summary"]
    # A scanner-flagged injection graded under `remove` may need no call; everything else is one call.
    assert summary["calls"] == len(model.backend.requests) <= len(jobs)
    assert summary["parse_rate"] == 1.0
    # The keyword judge ranks every reference above every vague restatement.
    fams = {f["family"]: f for f in result["graders"][model.name]["families"]}
    assert fams["vague"]["auc"] == 1.0 and fams["reference"]["mean_score"] > fams["vague"]["mean_score"]
    # Stuffing the rubric fools a keyword judge: full marks, so the uplift is what the references missed.
    stuffing = next(u for u in result["graders"][model.name]["uplift"] if u["family"] == "stuffing")
    assert fams["stuffing"]["mean_score"] == 1.0
    assert stuffing["uplift"] == pytest.approx(1.0 - fams["reference"]["mean_score"]) and stuffing["uplift"] > 0
    assert figures_from(goals, variants, grades, cfg, [model.name], {model.name: {k: summary[k] for k in
                        ("calls", "tokens_in", "tokens_out", "cost_usd", "seconds")}}) == result
    for name in ("metaeval.json", "metaeval_summary.csv", "metaeval_families.csv", "metaeval_uplift.csv",
                 "metaeval.html"):
        assert (tmp_path / name).stat().st_size > 0
    html = (tmp_path / "metaeval.html").read_text()
    assert "data:image/png;base64," in html and "AUC" in html
    # A rerun asks the model nothing.
    again = scripted_model(respond=_respond)
    await run_metaeval(goals, cfg, tmp_path, models=[again])
    assert again.backend.requests == []


def test_cli_reports_and_rejects_bad_input(tmp_path, monkeypatch):
    from sciplan.cli.main import app

    runner = CliRunner()
    bad = tmp_path / "goals.jsonl"
    bad.write_text('{"id": "g", "text": "no reference", "rubric": ["x"]}\n')
    res = runner.invoke(app, ["metaeval", "--goals", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "reference" in str(res.exception)
