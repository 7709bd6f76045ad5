"""Pitfall items from the creator: asked for only when configured, kept beside the selected rubric at weight −1."""

from __future__ import annotations

from helpers.extract_judge import Judge, candidate, make_paper
from sciplan.extract import CreatorConfig, ExtractConfig, ExtractPaths, clean_candidates, creator_messages, extract_papers
from sciplan.extract.creator import with_pitfalls
from sciplan.extract.schema import CandidateOut
from sciplan.grade.weights import weighted_score
from sciplan.jsonl import read_records
from sciplan.records import Goal

GOAL = "Find out whether watering frequency changes tomato yield within one season."
RUBRIC = ["Uses replicated plots.", "Weighs fruit per plant.", "Logs light and temperature."]
PITFALLS = ["Waters plots from one shared tank without metering.", "Uses replicated plots."]


def test_the_prompt_and_schema_ask_for_pitfalls_only_when_configured():
    plain = creator_messages(make_paper(), CreatorConfig())[0][0]["content"]
    asked = creator_messages(make_paper(), CreatorConfig(pitfalls=2))[0][0]["content"]
    assert "pitfalls" not in plain and "up to 2 items" in asked and '"pitfalls": ["..."]' in asked


def test_cleaning_keeps_distinct_pitfalls_within_the_cap():
    raw = [CandidateOut(goal=GOAL, rubric=RUBRIC, reference="Grow plants under three schedules and weigh fruit.",
                        pitfalls=[*PITFALLS, "Ignores the season limit.", "Third one over the cap."])]
    [c], _ = clean_candidates("p1", raw, CreatorConfig(pitfalls=2))
    # A pitfall repeating a rubric item is dropped; at most two are kept.
    assert c.pitfalls == ["Waters plots from one shared tank without metering.", "Ignores the season limit."]
    assert with_pitfalls(["a"], []) == {"rubric": ["a"]}
    assert with_pitfalls(["a", "b"], ["c"]) == {"rubric": ["a", "b", "c"], "weights": [1.0, 1.0, -1.0]}


async def test_extracted_goals_carry_pitfalls_at_negative_weight(tmp_path, model_for):
    cand = {**candidate(GOAL, RUBRIC), "pitfalls": PITFALLS[:1]}
    judge = Judge(creator={"Watering": [cand]})
    model = model_for(judge)
    cfg = ExtractConfig.model_validate({
        "embeddings": {"kind": "lexical"}, "creator": {"retries": 1, "pitfalls": 1},
        "selector": {"retries": 0, "top_k": 3, "grader": {"retries": 0}}, "leakage": {"retries": 0}, "concurrency": 1,
    })
    paths = ExtractPaths.beside(tmp_path / "goals.jsonl")
    await extract_papers([make_paper()], cfg, paths, creator=model, selector=model)
    [goal] = read_records(paths.goals, Goal)
    assert goal.rubric[-1] == PITFALLS[0] and goal.weights[-1] == -1.0
    assert goal.weights[:-1] == [1.0] * (len(goal.rubric) - 1)
    # A plan meeting every positive item but showing the pitfall: (n − 1) / n under HealthBench's rule.
    n = len(goal.rubric) - 1
    assert weighted_score(goal, [True] * n + [True]).score == (n - 1) / n


def test_the_released_schema_gets_positive_items_only():
    from sciplan.extract.rpg import goal_to_row

    g = Goal(id="g", text="t", rubric=["Do this.", {"text": "Never that.", "weight": -1}, {"text": "And this.", "weight": 2}])
    assert goal_to_row(g)["Rubric"] == ["Do this.", "And this."]
    assert goal_to_row(Goal(id="p", text="t", rubric=["a", "b"]))["Rubric"] == ["a", "b"]
