"""The one place metaeval calls the grader: every variant, with and without the scanner, over seeds.

Kept narrow on purpose, so a change of the grader's API is a change here only; the
grading itself is the project's one batch grader, `sciplan.grade.grade`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from sciplan.grade import Grader, GraderConfig, grade
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
    done: Collection[str] = (),
    temperature: float = 0.7,
    on_grade: Callable[[Grade], None] | None = None,
) -> list[Grade]:
    """Grade every job with `model` under `config` (ids in `done` skipped); grades carry scanner and seed.

    Each (scanner, seed) setting is one `Grader` and one call of the batch grader
    (`sciplan.grade.grade`), which groups a goal's plans so its prompt prefix is shared.
    """
    by_key: dict[tuple[bool, int | None], list[GradeJob]] = {}
    for j in jobs:
        by_key.setdefault((j.scanner, j.seed), []).append(j)
    out: list[Grade] = []

    async def one(key: tuple[bool, int | None], group: list[GradeJob]) -> None:
        grader = Grader(model, _config(config, group[0], temperature), stage_name=None)
        # The batch grader knows the grader's own ids; a job's id also names its scanner and seed.
        job_of = {j.plan.id: j for j in group}
        skip = {grader.grade_id_for(j.plan) for j in group if job_grade_id(grader.grade_id_for(j.plan), j) in done}

        def keep(plan: Plan, grade: Grade) -> None:
            job = job_of[plan.id]
            grade.id = job_grade_id(grade.id, job)
            grade.meta.update(family=plan.meta.get("family"), scanner=job.scanner, seed=job.seed or 0)
            out.append(grade)
            if on_grade:
                on_grade(grade)

        await grade(grader, goals, [j.plan for j in group], done=skip, on_grade=keep)

    await asyncio.gather(*(one(k, g) for k, g in by_key.items()))
    return out
