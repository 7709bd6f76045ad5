"""The built-in grader variants: violations, binary, likert and the paper's protocol.

Each is a strategy (see `sciplan.grade.variant`) with its template in
`prompts/grade/variants/<name>.j2`.
"""

from __future__ import annotations

import re
from typing import Any

from sciplan.grade.answer_text import Block, read_ids, read_yes_no, tag_text
from sciplan.grade.schema import verdict_model
from sciplan.grade.variant import Answer, GradeContext, GraderVariant, ItemVerdict, register
from sciplan.llm import BoundedAnswer, parse_output
from sciplan.records import Grade

__all__ = ["Binary", "Likert", "Paper", "Violations"]

_NOT_ADDRESSED = re.compile(r"^\W*(?:not addressed|none|n/?a|nothing|no part)\b", re.IGNORECASE)


_UNADDRESSED_REASON = re.compile(r"^\W*(?:not addressed|no part of the plan|the plan does not (?:address|mention))",
                                 re.IGNORECASE)


def _addressed(excerpt: str) -> bool:
    return bool(excerpt.strip()) and not _NOT_ADDRESSED.match(excerpt)


@register
class Violations(GraderVariant):
    """Per rubric item: the part of the plan, a reason, the violated guideline ids."""

    name = "violations"
    template = "grade/variants/violations.j2"
    names_guidelines = True

    def answer_model(self, ctx: GradeContext) -> type[BoundedAnswer]:
        return verdict_model("violations", len(ctx.units), ctx.guidelines.ids, ctx.excerpt_chars, ctx.reason_chars)

    def from_model(self, value: Any, ctx: GradeContext) -> Answer:
        return Answer([ItemVerdict(v.index, v.excerpt, v.reason, list(v.violations), addressed=_addressed(v.excerpt))
                       for v in value.verdicts], weaknesses=getattr(value, "weaknesses", ""))

    def read_block(self, block: Block, ctx: GradeContext) -> ItemVerdict:
        excerpt = tag_text(block.body, "excerpt") or ""
        return ItemVerdict(block.index, excerpt, tag_text(block.body, "reason") or "",
                           read_ids(tag_text(block.body, "violations"), ctx.guidelines.ids), addressed=_addressed(excerpt))


@register
class Binary(GraderVariant):
    """Per unit: the part of the plan, a reason, satisfied yes or no."""

    name = "binary"
    template = "grade/variants/binary.j2"

    def answer_model(self, ctx: GradeContext) -> type[BoundedAnswer]:
        return verdict_model("satisfied", len(ctx.units), ctx.guidelines.ids, ctx.excerpt_chars, ctx.reason_chars)

    def from_model(self, value: Any, ctx: GradeContext) -> Answer:
        return Answer([ItemVerdict(v.index, v.excerpt, v.reason, satisfied=bool(v.satisfied),
                                   addressed=_addressed(v.excerpt)) for v in value.verdicts])

    def read_block(self, block: Block, ctx: GradeContext) -> ItemVerdict:
        excerpt = tag_text(block.body, "excerpt") or ""
        return ItemVerdict(block.index, excerpt, tag_text(block.body, "reason") or "",
                           satisfied=read_yes_no(tag_text(block.body, "satisfied")), addressed=_addressed(excerpt))


@register
class Likert(GraderVariant):
    """One 1-10 score for the plan as a whole, after a reason."""

    name = "likert"
    template = "grade/variants/likert.j2"
    scores_items = False

    def answer_model(self, ctx: GradeContext) -> type[BoundedAnswer]:
        return verdict_model("likert", len(ctx.units), ctx.guidelines.ids, ctx.excerpt_chars, ctx.reason_chars)

    def from_model(self, value: Any, ctx: GradeContext) -> Answer:
        return Answer(score=int(value.score), reason=value.reason)

    def parse(self, text: str, ctx: GradeContext) -> Answer:
        raw = tag_text(text, "score")
        if raw is None:
            return self.from_model(parse_output(text, self.answer_model(ctx)), ctx)
        m = re.match(r"^\D*?(\d+)", raw)
        if m is None or not 1 <= int(m.group(1)) <= 10:
            raise ValueError(f"<score> must be a whole number from 1 to 10, not {raw[:40]!r}")
        return Answer(score=int(m.group(1)), reason=tag_text(text, "reason") or "")

    def apply(self, answer: Answer, ctx: GradeContext, grade: Grade) -> None:
        assert answer.score is not None
        grade.score = (answer.score - 1) / 9
        grade.meta["likert"] = answer.score
        grade.meta["reason"] = answer.reason.strip()[: ctx.reason_chars]


@register
class Paper(GraderVariant):
    """The paper's protocol: the plan's weaknesses first, then per rubric item the item
    restated, reasoning over the desiderata, and the violated desiderata (all of them
    for an item no part of the plan addresses)."""

    name = "paper"
    template = "grade/variants/paper.j2"
    names_guidelines = True
    default_guidelines = "paper"
    guidelines_title = "The seven desiderata, numbered"
    unaddressed_violates_all = True

    def answer_model(self, ctx: GradeContext) -> type[BoundedAnswer]:
        return verdict_model("violations", len(ctx.units), ctx.guidelines.ids, ctx.excerpt_chars, ctx.reason_chars,
                             ctx.weakness_chars)

    def from_model(self, value: Any, ctx: GradeContext) -> Answer:
        return Answer([ItemVerdict(v.index, v.excerpt, v.reason, list(v.violations), addressed=_addressed(v.excerpt))
                       for v in value.verdicts], weaknesses=value.weaknesses)

    def read_block(self, block: Block, ctx: GradeContext) -> ItemVerdict:
        reasoning = tag_text(block.body, "reasoning") or ""
        return ItemVerdict(block.index, "", reasoning,
                           read_ids(tag_text(block.body, "violations"), ctx.guidelines.ids),
                           addressed=not _UNADDRESSED_REASON.match(reasoning))

