"""Evolving rubrics: retirement after K saturated groups, capped proposals, the buffer saved and resumed,
and the reward shaping around a grader on a scripted backend (weights, vetoes, new items reaching the grader)."""

from __future__ import annotations

import json
import re

import pytest

from helpers.scripted import scripted_model
from sciplan.grade import Grader, GraderConfig, RewardConfig, RubricReward
from sciplan.grade.weights import VetoConfig
from sciplan.records import Goal, Grade, GradeItem
from sciplan.train.rubric_buffer import BUFFER_FILE, EvolvingRubricSettings, RubricBuffer
from sciplan.train.shaping import RewardShaping

GOAL = Goal(
    id="g", text="Does mulch raise soil moisture?", rubric=["Measures moisture.", "Has a control plot.", "Reports rainfall."]
)


def grade(verdicts: list[bool], goal: Goal = GOAL) -> Grade:
    items = [GradeItem(index=i + 1, item=t, satisfied=v) for i, (t, v) in enumerate(zip(goal.rubric, verdicts, strict=True))]
    return Grade(id="x", goal_id=goal.id, plan_id="p", grader="j", items=items, score=sum(verdicts) / len(verdicts))


def test_items_saturated_for_k_groups_are_retired():
    buf = RubricBuffer.from_goals([GOAL], EvolvingRubricSettings(enabled=True, saturation_window=2, min_active=1))
    # Item 1 always passes, item 2 splits the group, item 3 always fails.
    group = [grade([True, True, False]), grade([True, False, False])]
    assert buf.observe(1, "g", group) == []  # saturated once: not yet
    assert [it.streak for it in buf.items["g"]] == [1, 0, 1]
    retired = buf.observe(2, "g", group)
    assert [it.text for it in retired] == ["Measures moisture.", "Reports rainfall."]
    assert buf.goal("g").rubric == ["Has a control plot."]
    assert [(e["step"], e["event"], e["item"]) for e in buf.events] == [
        (2, "retired", "Measures moisture."), (2, "retired", "Reports rainfall.")
    ]
    assert buf.table() == [{"goal_id": "g", "active": 1, "retired": 2, "born": 0, "pitfalls_active": 0}]


def test_a_group_with_spread_resets_the_streak_and_min_active_is_kept():
    buf = RubricBuffer.from_goals([GOAL], EvolvingRubricSettings(enabled=True, saturation_window=2, min_active=2))
    buf.observe(1, "g", [grade([True, True, False]), grade([True, True, False])])
    buf.observe(2, "g", [grade([True, False, False]), grade([True, True, False])])  # item 2 varies again
    assert [it.streak for it in buf.items["g"]] == [2, 0, 2]
    # Items 1 and 3 are both due, but only one may go: two must stay active.
    assert len(buf.active("g")) == 2
    # A single usable verdict says nothing about spread: no streak changes.
    before = [it.streak for it in buf.active("g")]
    buf.observe(3, "g", [None, grade([True, True], buf.goal("g"))])
    assert [it.streak for it in buf.active("g")] == before


def test_proposals_are_capped_and_deduplicated():
    s = EvolvingRubricSettings(enabled=True, new_per_step=2, max_new_per_goal=3, pitfalls=True)
    buf = RubricBuffer.from_goals([GOAL], s)
    born = buf.add(1, "g", [("measures   MOISTURE.", "positive"), ("Pads the plan with generic text.", "pitfall"),
                            ("Names the mulch type.", "positive"), ("Third new item, over the step cap.", "positive")])
    assert [(b.text, b.weight) for b in born] == [("Pads the plan with generic text.", -1.0), ("Names the mulch type.", 1.0)]
    assert len(buf.add(2, "g", [("One more item.", "positive"), ("Over the goal's cap.", "positive")])) == 1
    assert buf.goal("g").weights == [1.0, 1.0, 1.0, -1.0, 1.0, 1.0]
    assert not buf.needs_items("g")  # the goal's cap of 3 proposed items is reached
    no_pitfalls = RubricBuffer.from_goals([GOAL], s.model_copy(update={"pitfalls": False}))
    assert no_pitfalls.add(1, "g", [("Pads the plan.", "pitfall")]) == []


def test_the_buffer_saves_and_loads(tmp_path):
    buf = RubricBuffer.from_goals([GOAL], EvolvingRubricSettings(enabled=True, saturation_window=1))
    buf.observe(4, "g", [grade([True, True, False]), grade([True, False, False])])
    buf.add(4, "g", [("Logs irrigation volumes.", "positive")])
    path = buf.save(tmp_path / "ckpt" / BUFFER_FILE)
    back = RubricBuffer.load(path)
    assert back.goals() == buf.goals() and back.events == buf.events and back.table() == buf.table()
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="bad.json: not a rubric buffer"):
        RubricBuffer.load(tmp_path / "bad.json")


# ---- the shaping around a real Grader on a scripted backend ----------------------------------------


def _rubric(request) -> list[str]:
    text = "\n".join(m["content"] for m in request.messages)
    block = text.split("Rubric items (", 1)[1]
    n = int(block.split(")", 1)[0])
    return [m.group(1) for m in re.finditer(r"^\d+\. (.+)$", block, re.M)][:n]


def grader_answer(request) -> str:
    """An item is met when the plan (between its fence lines) contains the item's first word."""
    rubric = _rubric(request)
    plan = re.search(r"<<<PLAN \w+>>>\n(.*)\n<<<END PLAN", request.messages[-1]["content"], re.S).group(1).lower()
    verdicts = []
    for i, item in enumerate(rubric, start=1):
        word = item.split()[0].lower().strip(".")
        met = word in plan
        verdicts.append({"index": i, "excerpt": "x" if met else "", "reason": "r", "violations": [] if met else ["G1"]})
    return json.dumps({"verdicts": verdicts})


def shaped(goal: Goal, **kw) -> tuple[RewardShaping, RubricReward, Grader]:
    grader = Grader(scripted_model(respond=grader_answer, max_retries=1), GraderConfig(retries=0))
    reward = RubricReward(grader, {goal.id: goal}, RewardConfig(max_plan_length=50))
    return RewardShaping(reward, **kw), reward, grader


WEIGHTED = Goal(id="w", text="Does mulch raise soil moisture?",
                rubric=[{"text": "moisture is measured weekly.", "weight": 3},
                        {"text": "control plots are used.", "weight": 1},
                        {"text": "fabricated data is reported.", "weight": -2, "veto": True}])


async def test_weights_and_a_veto_shape_the_reward():
    shaping, reward, _ = shaped(WEIGHTED, veto=VetoConfig(floor=-0.5))
    plans = ["We log moisture and use control plots.", "We log moisture only.", "Moisture and fabricated results."]
    parts = await reward.score([WEIGHTED] * 3, plans)
    out, metrics = shaping.apply(parts, ["w"] * 3)
    # Plan 1: 3 + 1 of 4 points. Plan 2: 3 of 4. Plan 3 shows the veto pitfall: the floor.
    assert [p.score for p in out] == pytest.approx([1.0, 0.75, 0.25])
    assert [p.reward for p in out] == pytest.approx([1.0, 0.75, -0.5])
    assert "veto" in out[2].flags and metrics["reward/vetoed"] == pytest.approx(1 / 3)


async def test_after_step_retires_and_new_items_reach_the_grader(tmp_path):
    proposer = scripted_model(
        [json.dumps({"items": [{"text": "rainfall is logged daily.", "kind": "positive"},
                               {"text": "padding repeats the goal.", "kind": "pitfall"}]})],
        max_retries=1,
    )
    settings = EvolvingRubricSettings(enabled=True, saturation_window=1, min_active=1, new_per_step=2)
    goal = Goal(id="g", text="Does mulch raise soil moisture?", rubric=["moisture is measured.", "control plots are used."])
    shaping, reward, grader = shaped(goal, evolving=settings, proposer=proposer)
    plans = ["moisture with control plots", "moisture only"]
    parts, _ = shaping.apply(await reward.score([reward.goals["g"]] * 2, plans), ["g", "g"])
    metrics = await shaping.after_step(1, parts, ["g", "g"])
    # "moisture" passed in both plans: retired; the proposer's two items were born.
    assert metrics == {"rubric/retired": 1.0, "rubric/born": 2.0, "rubric/active_mean": 3.0}
    assert reward.goals["g"].rubric == ["control plots are used.", "rainfall is logged daily.", "padding repeats the goal."]
    assert reward.goals["g"].weights == [1.0, 1.0, -1.0]
    # The next step's grading sees the new rubric.
    await reward.score([reward.goals["g"]], ["rainfall and control plots"])
    assert _rubric(grader.model.backend.requests[-1]) == reward.goals["g"].rubric
    # Saved (as a checkpoint would) and restored into a fresh run.
    folder = tmp_path / "checkpoint-1"
    shaping.buffer.save(folder / BUFFER_FILE)
    fresh, fresh_reward, _ = shaped(goal, evolving=settings)
    assert fresh_reward.goals["g"].rubric == goal.rubric
    assert fresh.restore(folder) and fresh_reward.goals["g"] == reward.goals["g"]
    assert [e["event"] for e in fresh.buffer.events] == ["retired", "born", "born"]
    assert not fresh.restore(tmp_path / "no-such-checkpoint")
