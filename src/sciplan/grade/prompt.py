"""The grader prompt, laid out for prefix caches: shared parts first, the plan last.

    system:  instructions + guidelines + the variant's part   (the same for every goal)
    user:    goal + rubric + reference solution                (the same for every plan of a goal)
             <<<PLAN tag>>> plan <<<END PLAN tag>>>            (the only part that differs)

A group of plans for one goal therefore shares everything up to the plan's opening
fence, reference included, and llama.cpp and vLLM evaluate that prefix once. The tag
is derived from the plan's own text, so a plan cannot contain its closing line (it
would have to contain its own hash), and response caches still see stable prompts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sciplan.grade.config import GraderConfig
from sciplan.grade.guidelines import GuidelineSet
from sciplan.grade.variant import AnswerFormat, GradeContext, GraderVariant, variant_for
from sciplan.llm import Message
from sciplan.prompts import render
from sciplan.records import Goal, make_id

__all__ = ["GradePrompt", "build_prompt", "context_for", "fence_tag", "reference_mode", "units_for"]


@dataclass(frozen=True)
class GradePrompt:
    """The three parts of a grading prompt; `messages()` joins them in cache order."""

    system: str
    context: str
    plan: str

    def messages(self) -> list[Message]:
        """[system, user]: the user turn is the goal context followed by the fenced plan."""
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": f"{self.context}\n\n{self.plan}"},
        ]


def fence_tag(plan_text: str) -> str:
    """The fence tag of a plan: a hash of its text, unguessable from inside it."""
    return make_id("fence", plan_text, length=12)


def reference_mode(goal: Goal, config: GraderConfig) -> str:
    """The reference mode a goal is graded under: the configured one, `none` without a reference."""
    return config.reference if (goal.reference or "").strip() else "none"


def units_for(goal: Goal, config: GraderConfig, guidelines: GuidelineSet) -> list[str]:
    """What is scored one by one: the rubric items, or the guidelines in that view."""
    return variant_for(config.variant, config.view).units(goal, guidelines, config.view)


def context_for(goal: Goal, config: GraderConfig, guidelines: GuidelineSet) -> GradeContext:
    """The grading context of `goal` under `config`."""
    return GradeContext(goal=goal, units=tuple(units_for(goal, config, guidelines)), guidelines=guidelines,
                        view=config.view, excerpt_chars=config.excerpt_chars, reason_chars=config.reason_chars,
                        weakness_chars=config.weakness_chars)


def build_prompt(
    goal: Goal, plan_text: str, config: GraderConfig, guidelines: GuidelineSet,
    answer: AnswerFormat = "schema", variant: GraderVariant | None = None,
) -> GradePrompt:
    """The prompt that grades `plan_text` (already neutralised) for `goal`."""
    variant = variant or variant_for(config.variant, config.view)
    ctx = context_for(goal, config, guidelines)
    shown = guidelines.guidelines if config.view != "rubric" else ()
    system = render(
        "grade/system.j2",
        view=config.view,
        guidelines=shown,
        guidelines_title=variant.guidelines_title,
        reference=config.reference,
        instructions=variant.instructions(ctx, answer),
    )
    # One line per item: a newline inside an item would break the numbering.
    rubric = [" ".join(item.split()) for item in goal.rubric] if config.view != "guidelines" else []
    mode = reference_mode(goal, config)
    context = render("grade/context.j2", goal=goal.text.strip(), rubric=rubric,
                     reference=(goal.reference or "").strip() if mode != "none" else "", reference_mode=mode)
    reply = "Reply with the JSON object only." if answer == "schema" else "Reply in the form asked for."
    plan = render("grade/plan.j2", tag=fence_tag(plan_text), plan=plan_text.strip(), reply=reply)
    return GradePrompt(system=system, context=context, plan=plan)
