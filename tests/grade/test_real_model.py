"""The full grader on the real bundled model (in-process and behind a real llama.cpp server).

The 135M model is no judge of research; the contract tested here is that real plans get
valid `Grade`s: one item per rubric item, known guideline ids, bounded strings, a score
that is the share of satisfied items, and JSON that round-trips.
"""

import pytest

from sciplan.grade import Grader, GraderConfig, load_guidelines
from sciplan.llm import Ledger, Model, ModelSettings, get_model, stage
from sciplan.plan import PlanConfig, write_plan
from sciplan.records import Grade

pytestmark = pytest.mark.model

# Short strings keep each grade to ~120 output tokens (a few seconds on 2 cores).
SMALL = dict(max_tokens=300, excerpt_chars=24, reason_chars=24, retries=1)


def assert_valid(grade: Grade, n_items: int, cfg: GraderConfig) -> None:
    assert not grade.failed, grade.error
    assert len(grade.items) == n_items and [i.index for i in grade.items] == list(range(1, n_items + 1))
    ids = set(load_guidelines(cfg.guidelines or ("paper" if cfg.variant == "paper" else None)).ids)
    missing = set(grade.meta["missing"])
    for item in grade.items:
        assert set(item.violations) <= ids and len(item.excerpt) <= cfg.excerpt_chars
        if item.index in missing:
            # An item the model skipped: unsatisfied, with our own reason, never credit.
            assert not item.satisfied and item.reason == "the grader gave no verdict for this item"
        else:
            assert len(item.reason) <= cfg.reason_chars
    assert grade.score == pytest.approx(sum(i.satisfied for i in grade.items) / n_items)
    assert Grade.model_validate_json(grade.to_json()) == grade


async def test_real_plans_get_valid_grades(goal):
    model = get_model("local:smollm2", ModelSettings(cache=False))
    with stage("plan"):
        plans = [await write_plan(model, goal, PlanConfig(max_tokens=48, temperature=0.8), k) for k in range(2)]
    cfg = GraderConfig(**SMALL)
    grades = await Grader(model, cfg).grade_group(goal, plans)
    for plan, grade in zip(plans, grades, strict=True):
        assert grade.plan_id == plan.id and grade.goal_id == goal.id and grade.grader == "local:smollm2"
        assert_valid(grade, len(goal.rubric), cfg)


@pytest.mark.parametrize("variant,view", [("binary", "rubric"), ("likert", "both")])
async def test_real_model_variants(goal, make_plan, variant, view):
    cfg = GraderConfig(variant=variant, view=view, **SMALL)
    grade = await Grader(get_model("local:smollm2", ModelSettings(cache=False)), cfg).grade(goal, make_plan())
    if variant == "likert":
        assert not grade.failed and 0 <= grade.score <= 1 and 1 <= grade.meta["likert"] <= 10
    else:
        assert_valid(grade, len(goal.rubric), cfg)


# The paper's protocol at the bundled model's size: short strings, a short weaknesses note,
# and room for up to seven desiderata per item (the 135M model often lists them all).
PAPER_SMALL = dict(SMALL, protocol="paper", weakness_chars=60, max_tokens=500)
REFERENCE = "Twelve plots, three watering schedules in randomised blocks, fruit weighed per plant, ANOVA."


async def test_the_paper_protocol_end_to_end_on_the_bundled_model(goal):
    goal.reference, goal.rubric = REFERENCE, goal.rubric[:2]  # two items keep the answer short
    model = get_model("local:smollm2", ModelSettings(cache=False))
    with stage("plan"):
        plans = [await write_plan(model, goal, PlanConfig(max_tokens=48, temperature=0.8), k) for k in range(2)]
    cfg = GraderConfig(**PAPER_SMALL)
    grader = Grader(model, cfg)
    assert grader.answer == "schema"  # what makes a 135M model answer at all
    for grade in await grader.grade_group(goal, plans):
        assert_valid(grade, len(goal.rubric), cfg)
        assert grade.variant == "paper" and grade.reference == "example" and grade.guidelines == "paper@1"
        assert len(grade.weaknesses) <= 60 and grade.attempts >= 1 and grade.tokens.prompt > 0
        # The reference sits in the prompt the model saw, before the plan.
        user = grader.prompt(goal, plans[0].text).messages()[1]["content"]
        assert user.index(REFERENCE) < user.index("<<<PLAN")


@pytest.mark.server
async def test_the_paper_protocol_through_a_llama_cpp_server(llama_server, goal, make_plan):
    goal.reference, goal.rubric = REFERENCE, goal.rubric[:2]
    model = Model(f"openai:smollm2@{llama_server}", ModelSettings(cache=False, max_concurrency=4), ledger_=Ledger())
    # An OpenAI-style server defaults to plain-text answers; a 135M model needs the schema.
    cfg = GraderConfig(answer="schema", **PAPER_SMALL)
    grade = await Grader(model, cfg).grade(goal, make_plan(goal=goal))
    assert_valid(grade, len(goal.rubric), cfg)
    assert grade.reference == "example" and grade.tokens.prompt > 0
    assert [r.stage for r in model.ledger.rows()] == ["grade"]
    await model.aclose()


@pytest.mark.server
async def test_grading_through_a_llama_cpp_server(llama_server, goal, make_plan):
    model = Model(f"openai:smollm2@{llama_server}", ModelSettings(cache=False, max_concurrency=4), ledger_=Ledger())
    # Room for the 135M model's whitespace between JSON tokens, which the schema's grammar allows.
    cfg = GraderConfig(answer="schema", **dict(SMALL, max_tokens=500))
    plans = [make_plan(), make_plan("We water daily or weekly and weigh tomatoes; a t-test compares them.", 1)]
    grades = await Grader(model, cfg).grade_group(goal, plans)
    for grade in grades:
        assert_valid(grade, len(goal.rubric), cfg)
    assert [r.stage for r in model.ledger.rows()] == ["grade"]
    await model.aclose()
