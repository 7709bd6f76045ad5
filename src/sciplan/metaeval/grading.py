"""The one place metaeval calls the grader: every variant, with and without the scanner, over seeds.

Kept narrow on purpose, so a change of the grader's API is a change here only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sciplan.grade import Grader, GraderConfig
from sciplan.llm import Model
from sciplan.records import Goal, Grade, Plan, make_id

__all__ = ["GradeJob", "grade_jobs", "jobs_for"]


@dataclass(frozen=True)
class GradeJob:
    """One plan to grade: `scanner` off grades injected text untouched; `seed` for self-consistency."""

    plan: Plan
    scanner: bool = True
    seed: int | None = None


def jobs_for(variants: Sequence[Plan], consistency_seeds: int) -> list[GradeJob]:
    """Every variant once; injections again without the scanner; references again per extra seed."""
    jobs = [GradeJob(p) for p in variants]
    jobs += [GradeJob(p, scanner=False) for p in variants if p.meta.get("family") == "injection"]
    jobs += [GradeJob(p, seed=s) for s in range(1, consistency_seeds + 1)
             for p in variants if p.meta.get("family") == "reference"]
    return jobs


def job_grade_id(base: str, job: GradeJob) -> str:
    """The grade id of a job: the grader's own id, told apart by scanner and seed."""
    if job.scanner and job.seed is None:
        return base
    return make_id(base, "noscan" if not job.scanner else "", job.seed)


def _config(base: GraderConfig, job: GradeJob, temperature: float) -> GraderConfig:
    update: dict[str, object] = {}
    if not job.scanner:
        update["on_injection"] = "flag"
    if job.seed is not None:
        update.update(seed=base.seed + job.seed, temperature=base.temperature or temperature)
    return base.model_copy(update=update) if update else base


async def grade_jobs(
    model: Model,
    config: GraderConfig,
    goals: dict[str, Goal],
    jobs: Sequence[GradeJob],
    *,
    done: set[str] = frozenset(),  # type: ignore[assignment]
    temperature: float = 0.7,
    on_grade: Callable[[Grade], None] | None = None,
) -> list[Grade]:
    """Grade every job with `model` under `config` (ids in `done` skipped); grades carry scanner and seed."""
    graders: dict[tuple[bool, int | None], Grader] = {}
    out: list[Grade] = []

    async def one(job: GradeJob) -> None:
        key = (job.scanner, job.seed)
        if key not in graders:
            graders[key] = Grader(model, _config(config, job, temperature), stage_name=None)
        grader = graders[key]
        gid = job_grade_id(grader.grade_id_for(job.plan), job)
        if gid in done:
            return
        grade = await grader.grade(goals[job.plan.goal_id], job.plan)
        grade.id = gid
        grade.meta.update(family=job.plan.meta.get("family"), scanner=job.scanner, seed=job.seed or 0)
        out.append(grade)
        if on_grade:
            on_grade(grade)

    # Per goal, the first job alone warms the server's prefix cache for the rest.
    by_goal: dict[str, list[GradeJob]] = {}
    for j in jobs:
        by_goal.setdefault(j.plan.goal_id, []).append(j)

    async def group(js: list[GradeJob]) -> None:
        await one(js[0])
        await asyncio.gather(*(one(j) for j in js[1:]))

    await asyncio.gather(*(group(js) for js in by_goal.values()))
    return out
