"""Write research plans for goals with any model, as `Plan` records (resumable)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from sciplan.jsonl import JsonlWriter
from sciplan.llm import LLMError, Message, MissingKeyError, Model, UnreachableError
from sciplan.prompts import render
from sciplan.records import Failure, Goal, Plan, make_id
from sciplan.rundir import Resume

__all__ = ["PlanConfig", "plan_id", "plan_messages", "write_plan", "write_plans"]


class PlanConfig(BaseModel):
    """How plans are written: sampling, thinking and the plan's length."""

    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0
    # Ask the model to think in <think>…</think> before the plan.
    think: bool = False
    # The plan length the prompt asks for (the grader's limit is set in the reward).
    max_words: int | None = 300


def plan_messages(goal_text: str, config: PlanConfig) -> list[Message]:
    """The chat messages that ask for a plan."""
    return [
        {"role": "system", "content": render("plan/system.j2", think=config.think)},
        {"role": "user", "content": render("plan/user.j2", goal=goal_text, max_words=config.max_words)},
    ]


def plan_id(goal_id: str, model: str, sample: int = 0) -> str:
    """The stable id of the `sample`-th plan of `model` for a goal."""
    return make_id("plan", goal_id, model, sample)


async def write_plan(model: Model, goal: Goal, config: PlanConfig, sample: int = 0) -> Plan:
    """One plan for one goal; sample `k` uses seed `config.seed + k`."""
    comp = await model.generate(
        plan_messages(goal.text, config),
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        seed=config.seed + sample,
    )
    return Plan(
        id=plan_id(goal.id, model.name, sample),
        goal_id=goal.id,
        model=model.name,
        text=comp.text,
        thinking=comp.thinking,
        tokens=comp.usage.completion_tokens,
        format_ok=bool(comp.text.strip()) and not comp.thinking_unterminated,
        sample=sample,
        finish_reason=comp.finish_reason,
    )


async def write_plans(
    model: Model,
    goals: Sequence[Goal],
    config: PlanConfig,
    out: Path,
    *,
    samples: int = 1,
    failures: Path | None = None,
    on_done: Callable[[Plan | None], None] | None = None,
) -> list[Plan]:
    """Plans for every goal × sample, appended to `out`; ids already there are skipped.

    A goal whose call fails for good is written to `failures` and the rest go on; a
    model that cannot be reached at all (or has no key) stops the run.
    """
    resume = Resume(out)
    todo = [(g, k) for g in goals for k in range(samples) if not resume.is_done(plan_id(g.id, model.name, k))]
    written: list[Plan] = []
    with JsonlWriter(out) as writer, JsonlWriter(failures or out.with_name("failures.jsonl")) as failed:

        async def one(goal: Goal, k: int) -> None:
            try:
                plan = await write_plan(model, goal, config, k)
            except (UnreachableError, MissingKeyError):
                raise
            except LLMError as exc:
                failed.write(Failure.of("plan", f"goal {goal.id} sample {k}", exc))
                if on_done:
                    on_done(None)
                return
            writer.write(plan)
            written.append(plan)
            if on_done:
                on_done(plan)

        await asyncio.gather(*(one(g, k) for g, k in todo))
    return written
