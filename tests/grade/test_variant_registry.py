"""Adding a grader variant takes a strategy class and its template, nothing else."""

from typing import Any

import pytest

from helpers.scripted import scripted_model
from sciplan.grade import (
    Answer,
    GradeContext,
    Grader,
    GraderConfig,
    GraderVariant,
    ItemVerdict,
    register,
    summarize,
    variant_names,
)
from sciplan.grade.answer_text import Block, read_yes_no, tag_text
from sciplan.grade.variant import _REGISTRY
from sciplan.llm import BoundedAnswer

TEMPLATE = """How to grade: for each rubric item say whether a first-year student could carry it out.
{% if answer == "text" %}
Answer with one block per item: <item n="number"><why>one sentence</why><doable>yes or no</doable></item>
{% else %}
Answer with JSON.
{% endif %}
"""


@pytest.fixture
def doable_variant(tmp_path):
    """A new variant, defined the way a plug-in would: one class and its template file."""
    (tmp_path / "doable.j2").write_text(TEMPLATE)

    @register
    class Doable(GraderVariant):
        name = "doable-test"
        template = str(tmp_path / "doable.j2")

        def answer_model(self, ctx: GradeContext) -> type[BoundedAnswer]:
            raise NotImplementedError("text answers only")

        def from_model(self, value: Any, ctx: GradeContext) -> Answer:
            raise NotImplementedError

        def read_block(self, block: Block, ctx: GradeContext) -> ItemVerdict:
            return ItemVerdict(block.index, reason=tag_text(block.body, "why") or "",
                               satisfied=read_yes_no(tag_text(block.body, "doable")))

    yield Doable
    _REGISTRY.pop("doable-test")


async def test_a_new_variant_is_a_strategy_and_its_template(doable_variant, goal, make_plan):
    assert "doable-test" in variant_names()
    text = "\n".join(f'<item n="{i}"><why>w{i}</why><doable>{d}</doable></item>'
                     for i, d in enumerate(["yes", "no", "yes", "maybe"], start=1))
    grader = Grader(scripted_model([text]), GraderConfig(variant="doable-test", answer="text"))
    grade = await grader.grade(goal, make_plan())
    system = grader.model.backend.requests[0].messages[0]["content"]
    assert "first-year student" in system and "<doable>" in system
    assert grade.variant == "doable-test" and grade.score == 0.5
    assert [it.satisfied for it in grade.items] == [True, False, True, False]  # "maybe" is unreadable: not a pass
    assert grade.items[3].reason == "empty or unreadable verdict" and grade.items[0].reason == "w1"
    # Summaries take it as it is: it names no guidelines, so no violation rates.
    (summary,) = summarize([grade], grader.guidelines.ids)
    assert summary.score.mean == 0.5 and summary.violation_rates == {}


def test_an_unknown_variant_is_a_clear_config_error():
    with pytest.raises(ValueError, match="unknown grader variant 'stars'.*paper"):
        GraderConfig(variant="stars")


def test_a_variant_needs_a_name_and_a_template():
    with pytest.raises(ValueError, match="needs a name and a template"):
        register(type("Nameless", (GraderVariant,), {}))
