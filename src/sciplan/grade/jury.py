"""A jury's grades read back: several judges' `Grade`s of the same plans, per plan.

Judges grade through the one batch grader (`sciplan.grade.grade(graders, goals, plans)`);
`aggregate(grades)` groups what they wrote into one `JuryVerdict` per plan and
`judge_means(grades)` gives each judge's mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import fmean

from sciplan.records import Grade

__all__ = ["JuryVerdict", "aggregate", "judge_means", "latest"]


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
