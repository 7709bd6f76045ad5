"""The one batch grader: every caller (CLI, evaluation, extraction, studies) grades through it.

    grades = await grade(graders, goals, plans, done=ids_written, on_grade=writer_write)

Per grader, plans whose grade id is already done are skipped; the rest are grouped by
goal and each group goes through `Grader.grade_group`, so the goal's shared prompt
prefix (instructions, goal, rubric, reference) is evaluated once per group. Groups run
concurrently; each grade is handed to `on_grade` as soon as its group is done (append
it to JSONL there), and `on_progress` hears how many plans each group covered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from sciplan.grade.grader import Grader
from sciplan.records import Goal, Grade, Plan

__all__ = ["grade", "pending"]


def pending(
    graders: Sequence[Grader], plans: Iterable[Plan], done: Collection[str] = ()
) -> list[tuple[Grader, str, list[Plan]]]:
    """The work left: (grader, goal id, plans) for every group with a plan not yet graded."""
    plans = list(plans)
    work = []
    for grader in graders:
        by_goal: dict[str, list[Plan]] = {}
        for p in plans:
            if grader.grade_id_for(p) not in done:
                by_goal.setdefault(p.goal_id, []).append(p)
        work += [(grader, gid, ps) for gid, ps in by_goal.items()]
    return work


async def grade(
    graders: Grader | Sequence[Grader],
    goals: Mapping[str, Goal] | Iterable[Goal],
    plans: Iterable[Plan],
    *,
    done: Collection[str] = (),
    on_grade: Callable[[Plan, Grade], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[Grade]:
    """Grade every plan with every grader, skipping grade ids in `done`; returns the new
    grades (grader by grader, goal by goal). A plan whose goal is missing raises KeyError
    naming it before any call: callers filter orphans first and report them."""
    graders = [graders] if isinstance(graders, Grader) else list(graders)
    by_id = dict(goals) if isinstance(goals, Mapping) else {g.id: g for g in goals}
    work = pending(graders, plans, done)
    missing = sorted({gid for _, gid, _ in work if gid not in by_id})
    if missing:
        raise KeyError(f"plans name goal(s) not given: {', '.join(missing[:5])}")

    async def one(grader: Grader, goal_id: str, group: list[Plan]) -> list[Grade]:
        grades = await grader.grade_group(by_id[goal_id], group)
        if on_grade is not None:
            for plan, g in zip(group, grades, strict=True):
                on_grade(plan, g)
        if on_progress is not None:
            on_progress(len(group))
        return grades

    results = await asyncio.gather(*(one(*w) for w in work))
    return [g for group in results for g in group]
