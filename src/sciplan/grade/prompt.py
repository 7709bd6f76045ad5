"""The grader prompt, laid out for prefix caches: shared parts first, the plan last.

    system:  instructions + guidelines          (the same for every goal and plan)
    user:    goal + rubric                      (the same for every plan of a goal)
             <<<PLAN tag>>> plan <<<END PLAN tag>>>   (the only part that differs)

A group of plans for one goal therefore shares everything up to the plan's opening
fence, and llama.cpp (in-process or server) and vLLM evaluate that prefix once. The tag
is derived from the plan's own text, so a plan cannot contain its closing line (it
would have to contain its own hash), and response caches still see stable prompts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sciplan.grade.config import GraderConfig
from sciplan.grade.guidelines import GuidelineSet
from sciplan.grade.schema import kind_for
from sciplan.llm import Message
from sciplan.prompts import render
from sciplan.records import Goal, make_id

__all__ = ["GradePrompt", "build_prompt", "fence_tag", "units_for"]


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


def units_for(goal: Goal, config: GraderConfig, guidelines: GuidelineSet) -> list[str]:
    """What is scored one by one: the rubric items, or the guidelines in that view."""
    if config.view == "guidelines":
        return [f"{g.id} ({g.name})" for g in guidelines.guidelines]
    return list(goal.rubric)


def build_prompt(goal: Goal, plan_text: str, config: GraderConfig, guidelines: GuidelineSet) -> GradePrompt:
    """The prompt that grades `plan_text` (already neutralised) for `goal`."""
    kind = kind_for(config.variant, config.view)
    shown = guidelines.guidelines if config.view != "rubric" else ()
    system = render(
        "grade/system.j2",
        kind=kind,
        view=config.view,
        guidelines=shown,
        example_id=guidelines.ids[min(1, len(guidelines.ids) - 1)],
        excerpt_chars=config.excerpt_chars,
        reason_chars=config.reason_chars,
    )
    # One line per item: a newline inside an item would break the numbering.
    rubric = [" ".join(item.split()) for item in goal.rubric] if config.view != "guidelines" else []
    context = render("grade/context.j2", goal=goal.text.strip(), rubric=rubric)
    plan = render("grade/plan.j2", tag=fence_tag(plan_text), plan=plan_text.strip())
    return GradePrompt(system=system, context=context, plan=plan)
