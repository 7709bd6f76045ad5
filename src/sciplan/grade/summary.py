"""Summaries of grades per grader, with failures shown both ways.

A mean that silently counts failed grades as 0 (or silently drops them) misleads, so
every mean is reported twice: failures counted as 0, and failures left out, beside the
failure count and the commonest reasons.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from sciplan.grade.jury import latest
from sciplan.grade.variant import variant_for
from sciplan.records import Grade

__all__ = ["FailureView", "GraderSummary", "failure_reason", "failure_view", "names_guidelines", "summarize"]


@dataclass
class FailureView:
    """A mean over grades, with failed grades left out (`mean`) and counted as 0 (`mean_as_zero`)."""

    n: int = 0
    failed: int = 0
    mean: float | None = None
    mean_as_zero: float | None = None
    # The commonest failure reasons, most frequent first: (reason, count).
    reasons: list[tuple[str, int]] = field(default_factory=list)

    def text(self, digits: int = 3) -> str:
        """`0.512 (0.448 with 3 failed as 0)`, or just the mean when none failed."""
        if self.mean is None and self.mean_as_zero is None:
            return "—"
        base = f"{self.mean:.{digits}f}" if self.mean is not None else "—"
        return base if not self.failed else f"{base} ({self.mean_as_zero:.{digits}f} with {self.failed} failed as 0)"


def failure_reason(error: str | None) -> str:
    """A failure's reason without its particulars (ids, counts, model text), for counting."""
    head = (error or "unknown").split(":", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"\d+", "N", head)).strip()[:80] or "unknown"


def failure_view(grades: Iterable[Grade], value: Callable[[Grade], float | None] = lambda g: g.score,
                 top: int = 3) -> FailureView:
    """Both means of `value` over `grades` (a failed grade, or one without a value, is a failure)."""
    gs = list(grades)
    ok = [v for g in gs if not g.failed and (v := value(g)) is not None]
    bad = [g for g in gs if g.failed or value(g) is None]
    reasons = Counter(failure_reason(g.error) for g in bad).most_common(top)
    return FailureView(
        n=len(gs), failed=len(bad), mean=fmean(ok) if ok else None,
        mean_as_zero=fmean([*ok, *[0.0] * len(bad)]) if gs else None, reasons=reasons,
    )


def names_guidelines(grade: Grade) -> bool:
    """Whether a grade's items name violated guidelines (per-guideline rates apply)."""
    if grade.view == "guidelines":
        return grade.variant != "likert"
    try:
        return variant_for(grade.variant, grade.view).names_guidelines
    except ValueError:  # a variant this installation does not know
        return False


@dataclass
class GraderSummary:
    """One grader's totals over a set of grades (the last record of each grade id)."""

    grader: str
    grades: int = 0
    failed: int = 0
    flagged: int = 0
    score: FailureView = field(default_factory=FailureView)
    reward: FailureView = field(default_factory=FailureView)
    # Share of graded items whose violations include each guideline id.
    violation_rates: dict[str, float] = field(default_factory=dict)
    items: int = 0

    @property
    def mean_score(self) -> float | None:
        """Mean score with failed grades left out."""
        return self.score.mean

    @property
    def mean_reward(self) -> float | None:
        """Mean reward with failed grades left out."""
        return self.reward.mean


def summarize(grades: Iterable[Grade], guideline_ids: Sequence[str]) -> list[GraderSummary]:
    """One summary per grader, in first-seen order."""
    by_grader: dict[str, list[Grade]] = {}
    for g in latest(grades):
        by_grader.setdefault(g.grader, []).append(g)
    out = []
    for name, gs in by_grader.items():
        ok = [g for g in gs if not g.failed and g.score is not None]
        s = GraderSummary(
            grader=name,
            grades=len(gs),
            failed=len(gs) - len(ok),
            flagged=sum("injection" in g.flags for g in gs),
            score=failure_view(gs),
            reward=failure_view(gs, lambda g: g.reward) if any(g.reward is not None for g in gs) else FailureView(),
            items=sum(len(g.items) for g in ok),
        )
        named = [it for g in ok if names_guidelines(g) for it in g.items]
        if named:
            s.violation_rates = {gid: fmean(gid in it.violations for it in named) for gid in guideline_ids}
        out.append(s)
    return out
