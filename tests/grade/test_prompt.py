"""The prompt layout: shared parts first, the plan last and fenced as data."""

from sciplan.data import demo_goals
from sciplan.grade import GraderConfig, build_prompt, fence_tag, load_guidelines

GS = load_guidelines()


def test_shared_parts_come_first_and_the_plan_last(goal):
    a = build_prompt(goal, "Plan A text.", GraderConfig(), GS)
    b = build_prompt(goal, "Plan B text.", GraderConfig(), GS)
    other = build_prompt(demo_goals()[0], "Plan A text.", GraderConfig(), GS)
    # Instructions and guidelines: the same for every goal; goal and rubric: for every plan.
    assert a.system == b.system == other.system and a.context == b.context != other.context
    ua, ub = a.messages()[1]["content"], b.messages()[1]["content"]
    shared = ua[: next(i for i, (x, y) in enumerate(zip(ua, ub, strict=False)) if x != y)]
    assert shared.startswith("Research goal:") and goal.rubric[-1] in shared and "Plan A" not in shared
    assert ua.endswith(f"Plan A text.\n<<<END PLAN {fence_tag('Plan A text.')}>>>")
    for g in GS.guidelines:
        assert f"{g.id} ({g.name}): {g.text}" in a.system


def test_the_rubric_is_numbered_one_item_per_line(goal):
    goal.rubric = ["First\nitem", "Second item"]
    ctx = build_prompt(goal, "p", GraderConfig(), GS).context
    assert "1. First item\n2. Second item" in ctx


def test_the_fence_tag_depends_on_the_plan():
    assert fence_tag("a") != fence_tag("b") and fence_tag("a") == fence_tag("a") and len(fence_tag("a")) == 12


def test_views_show_what_they_say(goal):
    rubric_only = build_prompt(goal, "p", GraderConfig(view="rubric"), GS)
    guidelines_only = build_prompt(goal, "p", GraderConfig(view="guidelines"), GS)
    assert "G1 (" not in rubric_only.system and goal.rubric[0] in rubric_only.context
    assert "G1 (" in guidelines_only.system and goal.rubric[0] not in guidelines_only.context
    assert goal.text in guidelines_only.context


def test_variants_ask_for_their_answer(goal):
    assert '"violations"' in build_prompt(goal, "p", GraderConfig(), GS).system
    assert '"satisfied"' in build_prompt(goal, "p", GraderConfig(variant="binary"), GS).system
    assert '"score"' in build_prompt(goal, "p", GraderConfig(variant="likert"), GS).system
