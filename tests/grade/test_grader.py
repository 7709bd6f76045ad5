"""The grader's exact logic with a scripted backend: scores, validation, repairs, failures, variants."""

import json

import pytest

from sciplan.grade import GradeFailedError, GraderConfig, grade_id, load_guidelines
from sciplan.llm import LLMError, RetryableError, UnreachableError


async def test_score_is_the_share_of_items_without_violations(scripted_grader, goal, make_plan, answers):
    grader = scripted_grader([answers.verdicts([], ["G2", "G3"], [], ["G7"])])
    grade = await grader.grade(goal, make_plan())
    assert not grade.failed and grade.score == 0.5
    assert [i.satisfied for i in grade.items] == [True, False, True, False]
    assert grade.items[1].violations == ["G2", "G3"] and grade.items[0].item == goal.rubric[0]
    assert grade.variant == "violations" and grade.grader == grader.name and grade.plan_id == "p0"
    assert grade.attempts == 1 and grade.tokens.model_dump() == {"prompt": 10, "completion": 5}


async def test_missing_items_count_as_unsatisfied_and_extras_are_dropped(scripted_grader, goal, make_plan):
    answer = {"verdicts": [
        {"index": 1, "excerpt": "x", "reason": "r", "violations": []},
        {"index": 1, "excerpt": "x", "reason": "a repeat", "violations": ["G1"]},  # duplicate: first wins
        {"index": 3, "excerpt": "x", "reason": "r", "violations": []},
        {"index": 9, "excerpt": "x", "reason": "no such item", "violations": []},
    ]}
    grade = await scripted_grader([json.dumps(answer)]).grade(goal, make_plan())
    assert grade.score == 0.5 and len(grade.items) == 4
    assert grade.items[0].satisfied and grade.items[0].reason == "r"
    assert not grade.items[1].satisfied and "no verdict" in grade.items[1].reason
    assert grade.meta["missing"] == [2, 4] and grade.meta["ignored_verdicts"] == 2


async def test_unaddressed_item_is_unsatisfied_even_without_violations(scripted_grader, goal, make_plan, answers):
    answer = json.loads(answers.verdicts([], [], [], []))
    answer["verdicts"][1]["excerpt"] = "Not addressed."
    answer["verdicts"][2]["excerpt"] = ""
    grade = await scripted_grader([json.dumps(answer)]).grade(goal, make_plan())
    assert grade.score == 0.5 and grade.meta["unaddressed"] == [2, 3]


async def test_unknown_guideline_id_triggers_a_repair(scripted_grader, goal, make_plan, answers):
    backend_answers = [answers.verdicts(["G9"], [], [], []), answers.verdicts([], [], [], ["G1", "G1"])]
    grader = scripted_grader(backend_answers)
    grade = await grader.grade(goal, make_plan())
    assert not grade.failed and grade.score == 0.75 and grade.attempts == 2
    assert grade.items[3].violations == ["G1"]  # repeated ids collapse
    repair = grader.model.backend.requests[1].messages
    assert repair[-1]["role"] == "user" and "G9" in repair[-2]["content"] and "invalid" in repair[-1]["content"]
    # The repair keeps the original prompt as its prefix (a prefix cache serves it).
    assert repair[:2] == grader.model.backend.requests[0].messages


async def test_output_that_stays_invalid_is_a_failed_grade_not_a_zero(scripted_grader, goal, make_plan):
    grader = scripted_grader(["not json", '{"verdicts": []}', '{"verdicts": [{"index": 7}]}'], retries=2)
    grade = await grader.grade(goal, make_plan())
    assert grade.failed and grade.score is None and grade.items == []
    assert "after 3 attempt(s)" in grade.error and "no verdict" in grade.error
    assert len(grader.model.backend.requests) == 3


async def test_retries_bound_the_calls(scripted_grader, goal, make_plan):
    grader = scripted_grader(["nope"] * 5, retries=0)
    grade = await grader.grade(goal, make_plan())
    assert grade.failed and len(grader.model.backend.requests) == 1


async def test_a_model_call_that_fails_for_good_marks_the_grade(scripted_grader, goal, make_plan):
    grader = scripted_grader([RetryableError("HTTP 500", status=500)] * 2)
    grade = await grader.grade(goal, make_plan())
    assert grade.failed and "model call failed" in grade.error


async def test_unreachable_grader_stops_the_run(scripted_grader, goal, make_plan):
    grader = scripted_grader([RetryableError("connection refused", kind="connect")] * 2)
    with pytest.raises(UnreachableError):
        await grader.grade(goal, make_plan())


async def test_on_failure_raise(scripted_grader, goal, make_plan):
    grader = scripted_grader(["bad"], retries=0, on_failure="raise")
    with pytest.raises(GradeFailedError, match="p0"):
        await grader.grade(goal, make_plan())
    assert issubclass(GradeFailedError, Exception) and not issubclass(GradeFailedError, LLMError)


async def test_empty_plan_scores_zero_without_a_call(scripted_grader, goal, make_plan):
    grader = scripted_grader([])
    grade = await grader.grade(goal, make_plan("   "))
    assert grade.score == 0.0 and not grade.failed and grader.model.backend.requests == []
    assert all(i.excerpt == "not addressed" for i in grade.items)


async def test_goal_without_rubric_fails_clearly(scripted_grader, goal, make_plan):
    goal.rubric = []
    grade = await scripted_grader([]).grade(goal, make_plan())
    assert grade.failed and "no rubric items" in grade.error


async def test_binary_variant(scripted_grader, goal, make_plan, answers):
    grader = scripted_grader([answers.binary(True, True, False, True)], variant="binary")
    grade = await grader.grade(goal, make_plan())
    assert grade.score == 0.75 and grade.variant == "binary" and grade.items[2].violations == []
    schema = grader.model.backend.requests[0].json_schema
    assert "satisfied" in schema["properties"]["verdicts"]["items"]["properties"]


async def test_likert_variant(scripted_grader, goal, make_plan, answers):
    grader = scripted_grader([answers.likert(11), answers.likert(7)], variant="likert")
    grade = await grader.grade(goal, make_plan())
    assert grade.score == pytest.approx(6 / 9) and grade.meta["likert"] == 7 and grade.items == []
    assert grade.attempts == 2  # 11 is out of range: repaired


async def test_rubric_only_view_hides_guidelines(scripted_grader, goal, make_plan, answers):
    grader = scripted_grader([answers.binary(True, False, True, True)], view="rubric")
    grade = await grader.grade(goal, make_plan())
    system = grader.model.backend.requests[0].messages[0]["content"]
    assert grade.score == 0.75 and "G3" not in system and "Rubric items" in grader.model.backend.requests[0].messages[1]["content"]


async def test_guidelines_only_view_scores_the_guidelines(scripted_grader, goal, make_plan, answers):
    grader = scripted_grader([answers.binary(True, False, True, True, True, True, False)], view="guidelines")
    grade = await grader.grade(goal, make_plan())
    user = grader.model.backend.requests[0].messages[1]["content"]
    assert "Rubric items" not in user and goal.rubric[0] not in user
    assert len(grade.items) == 7 and grade.score == pytest.approx(5 / 7)
    assert grade.items[1].violations == ["G2"] and grade.items[6].violations == ["G7"] and grade.items[0].item.startswith("G1")
    # "none" is a fine excerpt for a guideline: only rubric items must be addressed.
    assert grade.meta["unaddressed"] == []


@pytest.mark.parametrize("variant", ["violations", "binary", "likert"])
@pytest.mark.parametrize("view", ["both", "rubric", "guidelines"])
async def test_every_variant_and_view_gives_a_valid_grade(scripted_grader, goal, make_plan, answers, variant, view):
    n = 7 if view == "guidelines" else 4
    if variant == "likert":
        answer = answers.likert(10)
    elif variant == "violations" and view == "both":
        answer = answers.verdicts(*([[]] * n))
    else:
        answer = answers.binary(*([True] * n))
    grader = scripted_grader([answer], variant=variant, view=view)
    grade = await grader.grade(goal, make_plan())
    assert not grade.failed and grade.score == 1.0 and grade.view == view
    # The schema sent is bounded whatever the shape.
    schema = json.dumps(grader.model.backend.requests[0].json_schema)
    assert "maxLength" in schema and ('"maxItems"' in schema or variant == "likert")


async def test_grade_ids_are_stable_and_differ_by_protocol(scripted_grader, goal, make_plan, answers):
    g1 = await scripted_grader([answers.verdicts([], [], [], [])]).grade(goal, make_plan())
    g2 = await scripted_grader([answers.binary(True, True, True, True)], variant="binary").grade(goal, make_plan())
    assert g1.id == grade_id("p0", g1.grader, GraderConfig(), load_guidelines())
    assert g1.id != g2.id


async def test_group_warms_the_prefix_then_sends_the_rest_together(scripted_grader, goal, make_plan, answers):
    order = []

    def respond(request):
        order.append(request.messages[1]["content"][-60:])
        return answers.verdicts([], [], [], [])

    grader = scripted_grader(respond=respond)
    plans = [make_plan(f"Plan number {k}: we water tomatoes.", k) for k in range(4)]
    grades = await grader.grade_group(goal, plans)
    assert [g.plan_id for g in grades] == ["p0", "p1", "p2", "p3"] and all(g.score == 1 for g in grades)
    assert "number 0:" in order[0]  # the first plan went alone, before the others
    # Every request of the group shares the whole prompt up to the plan's fence.
    reqs = grader.model.backend.requests
    prefix = reqs[0].messages[1]["content"].split("<<<PLAN")[0]
    assert all(r.messages[0] == reqs[0].messages[0] and r.messages[1]["content"].startswith(prefix) for r in reqs)


async def test_grading_calls_are_booked_under_the_grade_stage(scripted_grader, goal, make_plan, answers):
    grader = scripted_grader([answers.verdicts([], [], [], [])])
    await grader.grade(goal, make_plan())
    assert [r.stage for r in grader.model.ledger.rows()] == ["grade"]


async def test_strings_are_cut_to_their_bounds(scripted_grader, goal, make_plan, answers):
    long = answers.verdicts([], [], [], [], excerpt="x" * 500)
    grade = await scripted_grader([long], excerpt_chars=40).grade(goal, make_plan())
    assert all(len(i.excerpt) == 40 for i in grade.items)
