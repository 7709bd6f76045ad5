"""A grader variant is one small strategy: its prompt fragment, its answer model, its parse.

    @register
    class Pairs(GraderVariant):                      # a new variant: this class ...
        name = "pairs"
        template = "grade/variants/pairs.j2"         # ... and this template
        def answer_model(self, ctx): ...             # bounded schema (constrained decoding)
        def read_block(self, block, ctx): ...        # one plain-text item block -> ItemVerdict

Like verifiers' judges (`build_messages`, `parse`), a variant renders its part of the
prompt from the template beside it (`instructions`) and turns the model's answer into
`ItemVerdict`s (`parse` for plain text, `from_model` for schema answers). Everything the
variants share — units, the scoring rules for missing, repeated, unreadable and
unaddressed items, and the score — lives here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from sciplan.grade.answer_text import Block, item_blocks, tag_text
from sciplan.grade.guidelines import GuidelineSet
from sciplan.llm import BoundedAnswer, parse_output
from sciplan.prompts import environment, render
from sciplan.records import Goal, Grade, GradeItem

__all__ = [
    "Answer",
    "AnswerFormat",
    "GradeContext",
    "GraderVariant",
    "ItemVerdict",
    "register",
    "variant_for",
    "variant_names",
]

AnswerFormat = Literal["text", "schema"]

_REGISTRY: dict[str, type[GraderVariant]] = {}


@dataclass(frozen=True)
class GradeContext:
    """What one grading call is about: the goal, the units scored, and the limits."""

    goal: Goal
    units: tuple[str, ...]
    guidelines: GuidelineSet
    view: str = "both"
    excerpt_chars: int = 300
    reason_chars: int = 300
    weakness_chars: int = 1200


@dataclass
class ItemVerdict:
    """What the grader said about one unit; `violations`/`satisfied` None = unreadable."""

    index: int | None
    excerpt: str = ""
    reason: str = ""
    violations: list[str] | None = None
    satisfied: bool | None = None
    addressed: bool = True


@dataclass
class Answer:
    """A parsed answer: item verdicts (or a Likert score) and the weaknesses written first."""

    items: list[ItemVerdict] = field(default_factory=list)
    weaknesses: str = ""
    score: int | None = None
    reason: str = ""


class GraderVariant:
    """Base of all variants. Subclasses set `name` and `template` and implement
    `answer_model`, `from_model` and `read_block` (or override `parse`)."""

    name: ClassVar[str] = ""
    # A template under `sciplan/prompts/` ("grade/variants/NAME.j2"), or an absolute path.
    template: ClassVar[str] = ""
    # The grade has one item per unit (False: one verdict for the whole plan, e.g. likert).
    scores_items: ClassVar[bool] = True
    # Items carry the ids of violated guidelines (per-guideline violation rates apply).
    names_guidelines: ClassVar[bool] = False
    # How the prompt introduces the guideline set.
    guidelines_title: ClassVar[str] = "General guidelines"
    # The guideline set used when the config names none.
    default_guidelines: ClassVar[str] = "sciplan-default"
    # An item no part of the plan addresses violates every guideline (the paper's rule).
    unaddressed_violates_all: ClassVar[bool] = False

    # -- the prompt -------------------------------------------------------------------
    def instructions(self, ctx: GradeContext, answer: AnswerFormat) -> str:
        """This variant's part of the system prompt: how to grade and how to answer."""
        variables = {"ctx": ctx, "answer": answer, "view": ctx.view, "n_units": len(ctx.units),
                     "guidelines": ctx.guidelines.guidelines}
        if Path(self.template).is_absolute():  # a template outside the package (a plug-in's own)
            return environment().from_string(Path(self.template).read_text(encoding="utf-8")).render(**variables).strip()
        return render(self.template, **variables)

    def units(self, goal: Goal, guidelines: GuidelineSet, view: str) -> list[str]:
        """What is scored one by one: the rubric items, or the guidelines in that view."""
        if view == "guidelines":
            return [f"{g.id} ({g.name})" for g in guidelines.guidelines]
        return list(goal.rubric)

    # -- the answer ---------------------------------------------------------------------
    def answer_model(self, ctx: GradeContext) -> type[BoundedAnswer]:
        """The bounded answer model for schema-constrained decoding."""
        raise NotImplementedError

    def from_model(self, value: Any, ctx: GradeContext) -> Answer:
        """A validated schema answer as an `Answer`."""
        raise NotImplementedError

    def read_block(self, block: Block, ctx: GradeContext) -> ItemVerdict:
        """One plain-text item block as an `ItemVerdict`."""
        raise NotImplementedError

    def parse(self, text: str, ctx: GradeContext) -> Answer:
        """A plain-text answer: item blocks, or else JSON in the schema's shape.

        Raises ValueError (the caller asks for a repair) when no unit has a verdict."""
        blocks = item_blocks(text)
        if blocks:
            head = text[: text.lower().find("<item")] if "<item" in text.lower() else text
            answer = Answer([self.read_block(b, ctx) for b in blocks], weaknesses=tag_text(head, "weaknesses") or "")
        else:
            try:
                answer = self.from_model(parse_output(text, self.answer_model(ctx)), ctx)
            except ValueError as exc:
                raise ValueError(f"no <item> blocks and no JSON answer ({exc})") from None
        n = len(ctx.units)
        if not any(v.index is not None and 1 <= v.index <= n for v in answer.items):
            raise ValueError(f"no verdict for any of the {n} items: give one <item n=\"k\"> block per item, k = 1 to {n}")
        return answer

    # -- the score ------------------------------------------------------------------------
    def judge(self, v: ItemVerdict, ctx: GradeContext) -> tuple[bool, list[str], str | None]:
        """(satisfied, violations, problem) for one readable-or-not verdict; a problem
        (unreadable verdict) makes the item unsatisfied by rule."""
        if v.violations is not None:
            return not v.violations, v.violations, None
        if v.satisfied is not None:
            # In the guidelines view a unit is a guideline: violating it is listed.
            gid = ctx.guidelines.ids[v.index - 1] if ctx.view == "guidelines" and v.index else None
            return v.satisfied, [] if v.satisfied or gid is None else [gid], None
        return False, [], "empty or unreadable verdict"

    def apply(self, answer: Answer, ctx: GradeContext, grade: Grade) -> None:
        """Fill `grade` from `answer`: one item per unit, the score, the weaknesses."""
        units = ctx.units
        grade.weaknesses = answer.weaknesses.strip()[: ctx.weakness_chars]
        by_index: dict[int, ItemVerdict] = {}
        ignored = 0
        for v in answer.items:
            if v.index is not None and 1 <= v.index <= len(units) and v.index not in by_index:
                by_index[v.index] = v
            else:
                ignored += 1  # a repeat, or an index with no unit
        items: list[GradeItem] = []
        missing: list[int] = []
        unaddressed: list[int] = []
        unreadable: list[int] = []
        for i, unit in enumerate(units, start=1):
            found = by_index.get(i)
            if found is None:
                missing.append(i)
                items.append(self.unaddressed_item(i, unit, ctx, "the grader gave no verdict for this item"))
                continue
            v = found
            ok, violations, problem = self.judge(v, ctx)
            if problem:
                unreadable.append(i)
            if not v.addressed and ctx.view != "guidelines":
                unaddressed.append(i)
                ok = False
                if self.unaddressed_violates_all:
                    violations = list(ctx.guidelines.ids)
            items.append(GradeItem(index=i, item=unit, excerpt=v.excerpt.strip()[: ctx.excerpt_chars],
                                   violations=list(dict.fromkeys(violations)),
                                   reason=(problem or v.reason.strip())[: ctx.reason_chars], satisfied=ok))
        grade.items = items
        grade.score = sum(it.satisfied for it in items) / len(units)
        grade.meta.update({"missing": missing, "unaddressed": unaddressed, "unreadable": unreadable,
                           "ignored_verdicts": ignored})

    def unaddressed_item(self, index: int, unit: str, ctx: GradeContext, reason: str, excerpt: str = "") -> GradeItem:
        """The item for a unit nothing in the plan (or the answer) addresses: unsatisfied."""
        violations = list(ctx.guidelines.ids) if self.unaddressed_violates_all and ctx.view != "guidelines" else []
        return GradeItem(index=index, item=unit, excerpt=excerpt, violations=violations, reason=reason)


def register(cls: type[GraderVariant]) -> type[GraderVariant]:
    """Class decorator: make a variant choosable by its `name` in grader configs."""
    if not cls.name or not cls.template:
        raise ValueError(f"variant {cls.__name__} needs a name and a template")
    _REGISTRY[cls.name] = cls
    return cls


def _builtins() -> None:
    import sciplan.grade.variants  # noqa: F401  (registers the built-in variants)


def variant_names() -> Sequence[str]:
    """The names of the registered variants."""
    _builtins()
    return tuple(_REGISTRY)


def variant_for(name: str, view: str = "both") -> GraderVariant:
    """The strategy that grades variant `name` in `view`.

    Variants that name violated guidelines need both rubric and guidelines; in the other
    views each unit is judged satisfied or not (the `binary` strategy)."""
    _builtins()
    if name not in _REGISTRY:
        raise ValueError(f"unknown grader variant {name!r} (known: {', '.join(_REGISTRY)})")
    cls = _REGISTRY[name]
    if cls.names_guidelines and view != "both":
        cls = _REGISTRY["binary"]
    return cls()
