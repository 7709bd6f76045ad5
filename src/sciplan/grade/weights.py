"""Weighted, signed and veto rubric items: the score from a grade's per-item verdicts.

HealthBench's rule: a plan earns the points of every item whose criterion it meets;
pitfall items carry negative points, so meeting one (showing the behaviour) costs points;
the score is earned ÷ total positive points, clipped to [0, 1]. With every item at
weight 1 and no pitfall this is the paper's share of satisfied items.

A veto item is critical: a positive veto item not met, or a pitfall veto item met, sets
the reward to `VetoConfig.floor` whatever else the plan earned (Rubicon's veto).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from sciplan.records import Goal, Grade

__all__ = ["VetoConfig", "WeightedScore", "grade_verdicts", "weighted_score", "rescore"]


class VetoConfig(BaseModel):
    """What a failed veto item does to the reward."""

    model_config = ConfigDict(extra="forbid")

    # The reward of a plan that fails a veto item (before the format penalty is subtracted).
    floor: float = 0.0


@dataclass(frozen=True)
class WeightedScore:
    """The score and its components: points earned, positive points available, vetoes failed."""

    score: float
    earned: float
    positive: float
    vetoed: tuple[int, ...] = ()

    @property
    def failed_veto(self) -> bool:
        return bool(self.vetoed)


def weighted_score(goal: Goal, verdicts: Sequence[bool | None]) -> WeightedScore:
    """HealthBench's score of per-item verdicts (None: no verdict, earns nothing) for `goal`'s weights."""
    weights = goal.item_weights()
    if len(verdicts) != len(weights):
        raise ValueError(f"goal {goal.id}: {len(verdicts)} verdicts for {len(weights)} rubric items")
    earned = sum(w for w, v in zip(weights, verdicts, strict=True) if v)
    positive = sum(w for w in weights if w > 0)
    if positive > 0:
        score = earned / positive
    else:
        # Only pitfalls: a plan that shows none scores 1, each one shown costs its share.
        negative = -sum(weights)
        score = 1.0 + earned / negative if negative > 0 else 0.0
    vetoed = tuple(
        i for i in goal.veto if (weights[i] > 0 and verdicts[i] is not True) or (weights[i] < 0 and verdicts[i])
    )
    return WeightedScore(min(1.0, max(0.0, score)), earned, positive, vetoed)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def grade_verdicts(goal: Goal, grade: Grade) -> list[bool | None]:
    """A grade's verdict on each rubric item of `goal`, in rubric order (None: no verdict).

    Items are matched by text when the grade repeats it, else by the grader's 1-based index.
    """
    by_text = {_norm(t): i for i, t in enumerate(goal.rubric)}
    out: list[bool | None] = [None] * len(goal.rubric)
    for item in grade.items:
        i = by_text.get(_norm(item.item), -1) if item.item else item.index - 1
        if 0 <= i < len(out):
            out[i] = item.satisfied
    return out


def rescore(goal: Goal, grade: Grade) -> tuple[Grade, WeightedScore | None]:
    """`grade` with its score recomputed from `goal`'s weights.

    Unchanged for a plain rubric, a failed grade, or a grade without item verdicts (a
    Likert or listwise score has nothing to weigh).
    """
    if grade.failed or grade.score is None or not grade.items or not (goal.weights or goal.veto):
        return grade, None
    w = weighted_score(goal, grade_verdicts(goal, grade))
    meta = {**grade.meta, "weighted": {"earned": w.earned, "positive": w.positive, "vetoed": list(w.vetoed)}}
    return grade.model_copy(update={"score": w.score, "meta": meta}), w
