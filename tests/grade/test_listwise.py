"""The listwise group grader on a scripted backend: one call per group, per-plan scores, shared
openings shown once, bad answers failing only what they must, and use as the reward's grader."""

from __future__ import annotations

import json

import pytest

from helpers.scripted import scripted_model
from sciplan.grade import RewardConfig, RubricReward
from sciplan.grade.listwise import ListwiseConfig, ListwiseGrader, parse_scores, shared_prefix
from sciplan.records import Plan

OPENING = "## Research plan\n\nThis plan follows the standard template of our lab for greenhouse studies.\n"


def answer(*scores: int) -> str:
    return json.dumps({"scores": [{"plan": k, "reason": "r", "score": s} for k, s in enumerate(scores, start=1)]})


def plans(goal, texts):
    return [Plan(id=f"p{k}", goal_id=goal.id, model="m", text=t) for k, t in enumerate(texts)]


async def test_one_call_scores_every_plan_of_the_group(goal):
    model = scripted_model([answer(8, 3, 10, 0)], max_retries=1)
    grader = ListwiseGrader(model)
    texts = [OPENING + f"Plan body {k}: water plots on schedule {k}." for k in range(4)]
    grades = await grader.grade_group(goal, plans(goal, texts))
    assert [g.score for g in grades] == [0.8, 0.3, 1.0, 0.0]
    assert [g.plan_id for g in grades] == ["p0", "p1", "p2", "p3"] and {g.variant for g in grades} == {"listwise"}
    assert len(model.backend.requests) == 1  # one call for the whole group
    user = model.backend.requests[0].messages[1]["content"]
    # The shared opening is shown once, not four times; every plan body is fenced.
    assert user.count("standard template of our lab") == 1 and user.count("<<<END PLAN") == 4
    assert "Rubric items (4):" in user and goal.rubric[0] in user
    # The prompt tokens of the one call are shared out over the plans.
    assert grades[0].meta["group_tokens"]["prompt"] == 10 and grades[0].tokens.prompt == 10 // 4


async def test_a_missing_or_bad_entry_fails_only_its_plan(goal):
    bad = json.dumps({"scores": [{"plan": 1, "reason": "r", "score": 6}, {"plan": 1, "reason": "again", "score": 2},
                                 {"plan": 3, "reason": "r", "score": 11}, {"plan": 2, "reason": "r", "score": 4}]})
    model = scripted_model([bad], max_retries=1)
    grades = await ListwiseGrader(model, ListwiseConfig(retries=0)).grade_group(goal, plans(goal, ["a", "b", "c"]))
    assert [g.score for g in grades] == [0.6, 0.4, None]
    assert grades[2].failed and "no score for plan 3 of 3" in grades[2].error
    garbage = scripted_model(["not json at all"], max_retries=1)
    failed = await ListwiseGrader(garbage, ListwiseConfig(retries=0)).grade_group(goal, plans(goal, ["a", "b"]))
    assert all(g.failed and "unusable listwise answer" in g.error for g in failed)


async def test_groups_larger_than_max_group_are_split(goal):
    model = scripted_model([answer(1, 2, 3), answer(4, 5)], max_retries=1)
    grades = await ListwiseGrader(model, ListwiseConfig(max_group=3)).grade_group(goal, plans(goal, list("abcde")))
    assert [g.score for g in grades] == [0.1, 0.2, 0.3, 0.4, 0.5] and len(model.backend.requests) == 2


def test_parse_scores_and_shared_prefix():
    assert parse_scores([{"plan": "2", "score": 7.4}, {"plan": 9, "score": 1}, "x", {"plan": 1}], 3) == {2: (7, "")}
    a = OPENING + "Then A."
    assert shared_prefix([a, OPENING + "Then B."], min_chars=20) == OPENING
    assert shared_prefix([a, "Different."], min_chars=0) == ""
    assert shared_prefix(["Same start but short. A", "Same start but short. B"], min_chars=80) == ""


async def test_the_listwise_grader_as_the_reward(goal):
    model = scripted_model([answer(9, 2)], max_retries=1)
    reward = RubricReward(ListwiseGrader(model), {goal.id: goal}, RewardConfig(max_plan_length=50))
    out = await reward(prompts=["p", "p"], completions=["A careful plan.", "A bad plan."], goal_id=[goal.id] * 2)
    assert out == pytest.approx([0.9, 0.2]) and len(model.backend.requests) == 1


@pytest.mark.model
async def test_the_bundled_model_grades_a_group_listwise(_isolated_cache, goal):
    from sciplan.llm import ModelSettings

    grader = ListwiseGrader("local:smollm2", ListwiseConfig(max_tokens=120, retries=0),
                            settings=ModelSettings(cache=False, n_threads=2))
    texts = ["We grow 60 plants in 12 plots under three watering schedules and weigh the fruit at harvest.",
             "We water the tomatoes."]
    grades = await grader.grade_group(goal, plans(goal, texts))
    assert grader.name == "local:smollm2 [listwise]" and [g.plan_id for g in grades] == ["p0", "p1"]
    # One real call for the group; each plan has a 0–1 score or a failure that says why.
    for g in grades:
        assert (g.score is not None and 0 <= g.score <= 1) or (g.failed and g.error)
        assert g.attempts == 1 and g.meta["group"] == 2
