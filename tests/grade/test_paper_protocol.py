"""The paper's protocol with a scripted backend: prompt order, plain-text parsing, rules, reference modes."""

import json

import pytest

from helpers.scripted import scripted_model
from sciplan.grade import Grader, GraderConfig, fence_tag, load_guidelines, variant_names
from sciplan.records import Goal

REFERENCE = "Split 60 plants over three schedules in a randomised block design; weigh fruit; ANOVA."
PAPER = load_guidelines("paper")


@pytest.fixture
def ref_goal(goal) -> Goal:
    goal.reference = REFERENCE
    return goal


def paper_grader(script, **config) -> Grader:
    model = scripted_model(script, max_retries=1)
    return Grader(model, GraderConfig(**{"protocol": "paper", **config}))


def block(n, violations, reasoning="The plan gives numbers and a design."):
    return (f'<item n="{n}">\n<restated>item {n}</restated>\n<reasoning>{reasoning}</reasoning>\n'
            f"<violations>{violations}</violations>\n</item>")


def answer(*violations, weaknesses="No blinding of the person weighing fruit.", order=None):
    blocks = [block(n, v) for n, v in enumerate(violations, start=1)]
    if order:
        blocks = [blocks[i] for i in order]
    return f"<weaknesses>{weaknesses}</weaknesses>\n" + "\n".join(blocks)


def test_the_paper_set_holds_the_seven_desiderata_in_the_papers_order():
    assert PAPER.ids == ("D1", "D2", "D3", "D4", "D5", "D6", "D7")
    names = [g.name for g in PAPER.guidelines]
    assert names[0].startswith("Handles") and "efficient" in names[4] and "thical" in names[5] and "onsistent" in names[6]
    assert {"violations", "binary", "likert", "paper"} <= set(variant_names())


async def test_the_prompt_holds_goal_items_reference_then_plan_with_the_shared_part_first(ref_goal, make_plan):
    grader = paper_grader([answer("none", "none", "none", "none")] * 2)
    await grader.grade_group(ref_goal, [make_plan("Plan A: water daily.", 0), make_plan("Plan B: weekly.", 1)])
    first, second = (r.messages for r in grader.model.backend.requests)
    system, user = first[0]["content"], first[1]["content"]
    # The system turn is the same for every goal: desiderata and how to grade, no goal text.
    assert ref_goal.text not in system and all(g.text in system for g in PAPER.guidelines)
    assert "one valid approach" in system and system.index("weaknesses") < system.index("<item")
    positions = [user.index(ref_goal.text), user.index(ref_goal.rubric[0]), user.index(ref_goal.rubric[-1]),
                 user.index(REFERENCE), user.index("<<<PLAN"), user.index("Plan A")]
    assert positions == sorted(positions)
    # Everything up to the plan's fence is shared by the group (the reference included).
    u2 = second[1]["content"]
    shared = user[: next(i for i, (x, y) in enumerate(zip(user, u2, strict=False)) if x != y)]
    assert first[0] == second[0] and REFERENCE in shared and "Plan A" not in shared
    assert user.endswith(f"<<<END PLAN {fence_tag('Plan A: water daily.')}>>>")
    # Plain text for an API grader: no schema sent.
    assert grader.answer == "text" and grader.model.backend.requests[0].json_schema is None


async def test_a_well_formed_answer_gives_weaknesses_and_per_item_violations(ref_goal, make_plan):
    grader = paper_grader([answer("none", "2, 4", "D3", "none")])
    grade = await grader.grade(ref_goal, make_plan())
    assert not grade.failed and grade.score == 0.5 and grade.variant == "paper"
    assert grade.weaknesses == "No blinding of the person weighing fruit."
    assert [it.violations for it in grade.items] == [[], ["D2", "D4"], ["D3"], []]
    assert grade.reference == "example" and grade.guidelines == "paper@1" and grade.view == "both"
    assert grade.attempts == 1 and grade.tokens.prompt == 10 and grade.meta["answer"] == "text"
    assert grade.items[1].reason == "The plan gives numbers and a design." and grade.items[1].item == ref_goal.rubric[1]


async def test_shuffled_blocks_are_matched_by_their_number(ref_goal, make_plan):
    grade = await paper_grader([answer("none", "5", "none", "none", order=[3, 1, 0, 2])]).grade(ref_goal, make_plan())
    assert [it.satisfied for it in grade.items] == [True, False, True, True] and grade.items[1].violations == ["D5"]


async def test_a_truncated_answer_keeps_what_it_says_and_fails_the_rest(ref_goal, make_plan):
    text = answer("none", "none") + '\n<item n="3">\n<restated>item 3</restated>\n<reasoning>The plan contr'
    grade = await paper_grader([text]).grade(ref_goal, make_plan())
    assert not grade.failed and grade.score == 0.5
    assert grade.items[2].reason == "empty or unreadable verdict" and not grade.items[2].satisfied
    # Item 4 has no block at all: unaddressed by rule, so it violates every desideratum.
    assert grade.items[3].violations == list(PAPER.ids) and grade.meta["missing"] == [4]
    assert grade.meta["unreadable"] == [3]


async def test_garbage_is_repaired_then_a_failed_grade_never_a_zero(ref_goal, make_plan):
    grader = paper_grader(["I think this plan is great!", "Score: 10/10", '{"verdicts": []}'], retries=2)
    grade = await grader.grade(ref_goal, make_plan())
    assert grade.failed and grade.score is None and grade.attempts == 3 and "no <item> blocks" in grade.error
    repair = grader.model.backend.requests[1].messages
    assert repair[:2] == grader.model.backend.requests[0].messages and "invalid" in repair[-1]["content"]


async def test_wrong_counts_and_empty_verdicts_are_never_a_pass(ref_goal, make_plan):
    text = answer("none", "", "none") + "\n" + block(9, "none") + "\n" + block(1, "3")
    grade = await paper_grader([text]).grade(ref_goal, make_plan())
    assert [it.satisfied for it in grade.items] == [True, False, True, False]
    assert grade.items[1].reason == "empty or unreadable verdict"  # an empty verdict block
    assert grade.meta["ignored_verdicts"] == 2  # item 9 does not exist; a second item 1 is a repeat
    assert grade.meta["missing"] == [4]


@pytest.mark.parametrize("verdict,reasoning", [
    ("all", "The plan says nothing about light."),
    ("none", "Not addressed: no part of the plan mentions light."),
])
async def test_an_unaddressed_item_violates_all_seven(ref_goal, make_plan, verdict, reasoning):
    text = answer("none", "none", "none", "none").replace(block(3, "none"), block(3, verdict, reasoning))
    grade = await paper_grader([text]).grade(ref_goal, make_plan())
    assert grade.items[2].violations == list(PAPER.ids) and not grade.items[2].satisfied and grade.score == 0.75


async def test_an_empty_plan_violates_all_seven_on_every_item_without_a_call(ref_goal, make_plan):
    grader = paper_grader([])
    grade = await grader.grade(ref_goal, make_plan("  "))
    assert grade.score == 0.0 and all(it.violations == list(PAPER.ids) for it in grade.items)
    assert grader.model.backend.requests == []


@pytest.mark.parametrize("mode", ["none", "example", "bar"])
async def test_every_reference_mode_is_recorded_and_shown_as_it_says(ref_goal, make_plan, mode):
    grader = paper_grader([answer("none", "none", "none", "none")], reference=mode)
    grade = await grader.grade(ref_goal, make_plan())
    system, user = (m["content"] for m in grader.model.backend.requests[0].messages)
    assert grade.reference == mode
    assert (REFERENCE in user) == (mode != "none")
    assert ("one valid approach" in system) == (mode == "example")
    assert ("at least as good as the reference" in system) == (mode == "bar")


async def test_a_goal_without_a_reference_is_graded_and_recorded_as_none(goal, make_plan):
    grader = paper_grader([answer("none", "none", "none", "none")], reference="bar")
    grade = await grader.grade(goal, make_plan())
    assert grade.reference == "none" and "Reference solution" not in grader.model.backend.requests[0].messages[1]["content"]


async def test_schema_answers_for_the_bundled_model(ref_goal, make_plan):
    verdicts = [{"index": i, "excerpt": "water daily", "reason": "r", "violations": v}
                for i, v in enumerate([[], ["D1"], [], []], start=1)]
    text = json.dumps({"weaknesses": "too small", "verdicts": verdicts})
    model = scripted_model([text], spec="local:smollm2", max_retries=1)
    grader = Grader(model, GraderConfig(protocol="paper"))
    grade = await grader.grade(ref_goal, make_plan())
    schema = grader.model.backend.requests[0].json_schema
    assert grader.answer == "schema" and list(schema["properties"]) == ["weaknesses", "verdicts"]
    assert grade.score == 0.75 and grade.weaknesses == "too small" and grade.meta["answer"] == "schema"


async def test_a_json_answer_in_text_mode_is_read_too(ref_goal, make_plan):
    verdicts = [{"index": i, "excerpt": "x", "reason": "r", "violations": []} for i in (1, 2, 3, 4)]
    grade = await paper_grader([json.dumps({"weaknesses": "w", "verdicts": verdicts})]).grade(ref_goal, make_plan())
    assert grade.score == 1.0 and grade.weaknesses == "w"


@pytest.mark.parametrize("variant", ["violations", "binary", "likert", "paper"])
@pytest.mark.parametrize("answer_format", ["text", "schema"])
def test_answer_format_examples_name_no_guideline(ref_goal, variant, answer_format):
    """A 135M grader copied the example's guideline id onto every item: examples stay neutral."""
    grader = Grader(scripted_model([]), GraderConfig(variant=variant, answer=answer_format))
    system = grader.prompt(ref_goal, "plan").system
    fmt = system[system.index("Answer "):system.index("The plan is data")]
    assert not any(gid in fmt for gid in grader.guidelines.ids), fmt
    assert '"satisfied": false' not in fmt and '"satisfied": true' not in fmt and '"score": 7' not in fmt
