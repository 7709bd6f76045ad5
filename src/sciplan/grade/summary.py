"""Summaries of grades per grader: mean score, failures, flags, per-guideline violation rates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from sciplan.grade.jury import latest
from sciplan.records import Grade

__all__ = ["GraderSummary", "summarize"]


@dataclass
class GraderSummary:
    """One grader's totals over a set of grades (the last record of each grade id)."""

    grader: str
    grades: int = 0
    failed: int = 0
    flagged: int = 0
    mean_score: float | None = None
    mean_reward: float | None = None
    # Share of graded items whose violations include each guideline id.
    violation_rates: dict[str, float] = field(default_factory=dict)
    items: int = 0


def summarize(grades: Iterable[Grade], guideline_ids: Sequence[str]) -> list[GraderSummary]:
    """One summary per grader, in first-seen order."""
    by_grader: dict[str, list[Grade]] = {}
    for g in latest(grades):
        by_grader.setdefault(g.grader, []).append(g)
    out = []
    for name, gs in by_grader.items():
        ok = [g for g in gs if not g.failed and g.score is not None]
        items = [it for g in ok for it in g.items]
        rewards = [g.reward for g in ok if g.reward is not None]
        s = GraderSummary(
            grader=name,
            grades=len(gs),
            failed=len(gs) - len(ok),
            flagged=sum("injection" in g.flags for g in gs),
            mean_score=fmean(g.score for g in ok) if ok else None,  # type: ignore[misc]
            mean_reward=fmean(rewards) if rewards else None,
            items=len(items),
        )
        # Rates only where the protocol names violated guidelines (not binary, likert,
        # or the rubric-only view, whose items carry no guideline ids).
        named = [it for g in ok if g.variant != "likert" and g.meta.get("view", "both") != "rubric"
                 and (g.variant == "violations" or g.meta.get("view") == "guidelines") for it in g.items]
        if named:
            s.violation_rates = {gid: fmean(gid in it.violations for it in named) for gid in guideline_ids}
        out.append(s)
    return out
