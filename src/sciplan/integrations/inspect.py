"""inspect_ai: a task over research goals and a scorer that grades plans with sciplan's grader.

    inspect eval sciplan/research_plans --model openai/gpt-4o-mini \\
        -T goals=goals.jsonl -T grader=openai:Qwen/Qwen3-30B-A3B@http://grader:8000/v1

Plans come from inspect's model (the same prompt as `sciplan plan`); each is graded by
sciplan's grader spec in one call covering every rubric item. A sample's score is the
rubric score (fraction of items satisfied); its explanation lists the per-item verdicts.
Metrics: mean, stderr, the rate at which each guideline is violated, and the fraction of
grades that failed (those score 0 and are counted there, never hidden).
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, Value, mean, metric, scorer, stderr
from inspect_ai.solver import TaskState, generate

from sciplan.integrations.goals import read_goals
from sciplan.integrations.rubric import RubricScorer
from sciplan.llm import DEFAULT_MODEL
from sciplan.plan import PlanConfig, plan_messages
from sciplan.records import Goal

__all__ = ["research_plans", "rubric_grader", "guideline_violations", "grade_failed", "goal_sample"]


def goal_sample(goal: Goal, plan: PlanConfig) -> Sample:
    """One inspect sample: the plan prompt as input; goal and rubric only in metadata (for the scorer)."""
    messages: list[Any] = []
    for m in plan_messages(goal.text, plan):
        cls = ChatMessageSystem if m["role"] == "system" else ChatMessageUser
        messages.append(cls(content=m["content"]))
    return Sample(id=goal.id, input=messages, target=goal.reference or "",
                  metadata={"goal": goal.model_dump(mode="json", include={"id", "text", "rubric", "reference", "domain"})})


@metric
def guideline_violations() -> Metric:
    """Per guideline: the mean fraction of a plan's rubric items that violate it."""

    def compute(scores: list[SampleScore]) -> Value:
        rates: dict[str, list[float]] = {}
        for s in scores:
            for gid, rate in ((s.score.metadata or {}).get("violations") or {}).items():
                rates.setdefault(gid, []).append(float(rate))
        return {gid: sum(v) / len(v) for gid, v in sorted(rates.items())}

    return compute


@metric
def grade_failed() -> Metric:
    """The fraction of plans whose grade failed (scored 0 and counted here)."""

    def compute(scores: list[SampleScore]) -> Value:
        return sum(bool((s.score.metadata or {}).get("failed")) for s in scores) / max(1, len(scores))

    return compute


@scorer(metrics=[mean(), stderr(), guideline_violations(), grade_failed()])
def rubric_grader(grader: str = DEFAULT_MODEL, config: str | None = None) -> Scorer:
    """Grade the model's plan against the sample's rubric with a sciplan grader (model spec string)."""
    rubric = RubricScorer(grader, config)

    async def score(state: TaskState, target: Target) -> Score:
        goal = Goal.model_validate(state.metadata["goal"])
        part = await rubric.score(goal, state.output.completion)
        return Score(
            value=part.score if part.score is not None else 0.0,
            answer=part.format.plan[:2000],
            explanation=rubric.explain(part),
            metadata={"reward": part.reward, "penalty": part.penalty, "failed": part.failed, "flags": part.flags,
                      "violations": rubric.violations(part)},
        )

    return score


@task
def research_plans(goals: str = "", grader: str = DEFAULT_MODEL, config: str | None = None, limit: int | None = None,
                   max_words: int = 750, think: bool = False, max_tokens: int = 2048) -> Task:
    """Write research plans for goals (Goal JSONL or research-plan-gen parquet), graded by sciplan's grader."""
    if not goals:
        from sciplan.data import data_path

        goals = str(data_path("demo_goals.jsonl"))
    plan = PlanConfig(think=think, max_words=max_words)
    dataset = MemoryDataset([goal_sample(g, plan) for g in read_goals(goals, limit=limit)], name="sciplan-goals")
    return Task(dataset=dataset, solver=generate(), scorer=rubric_grader(grader, config),
                config=GenerateConfig(max_tokens=max_tokens))
