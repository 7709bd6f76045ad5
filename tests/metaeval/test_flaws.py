"""Planted flaws: from the shipped templates, from a user's file, or written by a model."""

import pytest

from helpers.scripted import scripted_model
from sciplan.data import data_path
from sciplan.errors import SciplanError
from sciplan.jsonl import read_records
from sciplan.metaeval import MetaevalConfig, build_variants, load_flaws, load_injections
from sciplan.metaeval.flaws import write_flaws
from sciplan.records import Goal


def test_user_templates_extend_and_override_the_shipped_ones(tmp_path):
    extra = tmp_path / "mine.yaml"
    extra.write_text("p_hacking:\n  description: outcomes chosen after seeing the data\n  drop: ''\n"
                     "  add: ['We pick whichever outcome reaches p < 0.05 after looking at all of them.']\n")
    kinds = {k.name: k for k in load_flaws(extra)}
    assert {"missing_control", "unethical_step", "p_hacking"} <= set(kinds)
    goals = read_records(data_path("train_goals.jsonl"), Goal)[:3]
    cfg = MetaevalConfig(flaw_templates=extra, flaws=6, families=["flaw"])
    texts = [v for v in build_variants(goals, cfg) if v.meta.get("kind") == "p_hacking"]
    assert len(texts) == 3 and all("p < 0.05" in v.text for v in texts)
    (tmp_path / "bad.yaml").write_text("x:\n  where: sideways\n  text: hi\n")
    with pytest.raises(SciplanError, match="sideways"):
        load_injections(tmp_path / "bad.yaml")


async def test_a_model_writes_the_flaw_and_a_useless_answer_keeps_the_template():
    goals = read_records(data_path("train_goals.jsonl"), Goal)[:2]
    cfg = MetaevalConfig(families=["flaw"])
    variants = build_variants(goals, cfg)
    flawed = [v for v in variants if v.meta["family"] == "flaw"]
    model = scripted_model(["A rewritten plan that quietly drops its control group and runs as before.", ""])
    out = await write_flaws(model, {g.id: g for g in goals}, variants, cfg)
    by_goal = {v.goal_id: v for v in out if v.meta["family"] == "flaw"}
    assert by_goal[flawed[0].goal_id].text.startswith("A rewritten plan") and by_goal[flawed[0].goal_id].meta["writer"]
    assert by_goal[flawed[1].goal_id] == flawed[1]  # the empty answer: the template's flaw stays
    prompt = model.backend.requests[0].messages[0]["content"]
    assert goals[0].reference in prompt and "Rewrite the plan" in prompt
