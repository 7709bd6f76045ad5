"""A jury: several graders grade the same plans; every judge's `Grade` is kept.

    jury = Jury.of(["openai:gpt-5", "anthropic:claude-sonnet-4-5", "gemini:gemini-2.5-pro"])
    verdicts = await jury.grade_group(goal, plans)     # one JuryVerdict per plan
    verdicts[0].mean, verdicts[0].per_judge, verdicts[0].grades

Evaluation that reads grades back from `grades.jsonl` uses `aggregate(grades)` (the same
verdicts, rebuilt from records) and `judge_means(grades)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from sciplan.grade.config import GraderConfig
from sciplan.grade.grader import Grader
from sciplan.llm import ModelSettings
from sciplan.records import Goal, Grade, Plan

__all__ = ["Jury", "JuryVerdict", "aggregate", "judge_means", "latest"]


@dataclass
class JuryVerdict:
    """Every judge's grade of one plan, and their aggregate."""

    goal_id: str
    plan_id: str
    grades: list[Grade] = field(default_factory=list)

    @property
    def per_judge(self) -> dict[str, float | None]:
        """Each judge's score (None where that judge's grade failed)."""
        return {g.grader: (None if g.failed else g.score) for g in self.grades}

    @property
    def mean(self) -> float | None:
        """Mean score over the judges whose grade did not fail (None if all failed)."""
        scores = [s for s in self.per_judge.values() if s is not None]
        return fmean(scores) if scores else None

    @property
    def failed(self) -> list[str]:
        """The judges whose grade failed."""
        return [g.grader for g in self.grades if g.failed]

    @property
    def flags(self) -> list[str]:
        """Flags any judge raised (e.g. "injection")."""
        return sorted({f for g in self.grades for f in g.flags})


class Jury:
    """Several graders with one protocol; judges grade concurrently."""

    def __init__(self, graders: Sequence[Grader]) -> None:
        if not graders:
            raise ValueError("a jury needs at least one grader")
        names = [g.name for g in graders]
        if len(set(names)) != len(names):
            raise ValueError(f"jury models must differ: {', '.join(names)}")
        self.graders = list(graders)

    @classmethod
    def of(cls, models: Sequence[str], config: GraderConfig | None = None, settings: ModelSettings | None = None) -> "Jury":
        """A jury of the given model strings, all with the same grader config."""
        return cls([Grader(m, config, settings=settings) for m in models])

    @property
    def names(self) -> list[str]:
        return [g.name for g in self.graders]

    async def grade(self, goal: Goal, plan: Plan) -> JuryVerdict:
        """Every judge grades one plan."""
        grades = await asyncio.gather(*(g.grade(goal, plan) for g in self.graders))
        return JuryVerdict(goal.id, plan.id, list(grades))

    async def grade_group(self, goal: Goal, plans: Sequence[Plan]) -> list[JuryVerdict]:
        """Every judge grades a group of plans for one goal (each judge keeps its prefix cache)."""
        per_judge = await asyncio.gather(*(g.grade_group(goal, plans) for g in self.graders))
        return [JuryVerdict(goal.id, p.id, [grades[i] for grades in per_judge]) for i, p in enumerate(plans)]


def latest(grades: Iterable[Grade]) -> list[Grade]:
    """The last record of each grade id, in first-seen order (a rerun may re-grade failures)."""
    out: dict[str, Grade] = {}
    for g in grades:
        out[g.id] = g
    return list(out.values())


def aggregate(grades: Iterable[Grade]) -> list[JuryVerdict]:
    """Grades grouped into one `JuryVerdict` per plan, in first-seen order."""
    verdicts: dict[str, JuryVerdict] = {}
    for g in latest(grades):
        verdicts.setdefault(g.plan_id, JuryVerdict(g.goal_id, g.plan_id)).grades.append(g)
    return list(verdicts.values())


def judge_means(grades: Iterable[Grade]) -> dict[str, float | None]:
    """Each judge's mean score over the plans it graded without failure."""
    scores: dict[str, list[float]] = {}
    for g in latest(grades):
        bucket = scores.setdefault(g.grader, [])
        if not g.failed and g.score is not None:
            bucket.append(g.score)
    return {name: (fmean(s) if s else None) for name, s in scores.items()}
