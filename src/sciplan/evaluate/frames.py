"""Goals, plans and grades joined into the tidy tables every figure is computed from.

Aggregation, stated once:

- a judge's score of a plan is the mean of its usable (not failed, scored) grades of it;
- the **jury** score of a plan is the mean of its judges' scores;
- a model's score on a goal is the mean over its samples; statistics resample goals,
  the unit of independence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sciplan.grade.weights import rescore
from sciplan.records import Goal, Grade, Plan

__all__ = ["ALL", "JURY", "EvalData", "item_indices", "item_verdicts"]

JURY = "jury"
ALL = "all"
UNKNOWN_DOMAIN = "unknown"

# `score` leaves failed grades out; `score_failed_as_0` counts each as 0 (both are reported).
_SCORE_COLUMNS = ["goal_id", "domain", "model", "plan_id", "sample", "judge", "score", "score_failed_as_0", "grades",
                  "failed"]
_ITEM_COLUMNS = ["goal_id", "domain", "model", "plan_id", "sample", "judge", "index", "item", "satisfied", "violations"]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def item_indices(grade: Grade, rubric: list[str]) -> list[int | None]:
    """The 0-based rubric index of each of a grade's items (None when it is no rubric item).

    An item with text is matched to the rubric item it repeats (whitespace and case
    ignored); text that matches none (a guideline in the grader's guidelines-only view,
    an edited rubric) is no rubric item. An item without text is placed by `index`, read
    as 1-based when the grade's indices run 1..n for an n-item rubric (as `sciplan.grade`
    writes them), else 0-based.
    """
    by_text = {_norm(t): i for i, t in enumerate(rubric)}
    indices = [gi.index for gi in grade.items]
    one_based = bool(indices) and min(indices) >= 1 and max(indices) == len(rubric)
    out: list[int | None] = []
    for gi in grade.items:
        if gi.item:
            # Matching by position too would pair a verdict with the wrong rubric item.
            i = by_text.get(_norm(gi.item), -1)
        else:
            i = gi.index - 1 if one_based else gi.index
        out.append(i if 0 <= i < len(rubric) else None)
    return out


def item_verdicts(grade: Grade, rubric: list[str]) -> dict[int, bool]:
    """A grade's verdicts keyed by 0-based rubric index (items that are no rubric item left out)."""
    return {i: gi.satisfied for gi, i in zip(grade.items, item_indices(grade, rubric), strict=True) if i is not None}


def _usable(g: Grade) -> bool:
    return not g.failed and g.score is not None and np.isfinite(g.score)


@dataclass
class EvalData:
    """The records of one evaluation and the two tidy frames built from them.

    `scores`: one row per (plan, judge) with a grade, plus a `jury` row per plan.
    `items`: one row per rubric-item verdict of a usable grade (judges only).
    """

    goals: dict[str, Goal]
    plans: dict[str, Plan]
    grades: list[Grade]
    scores: pd.DataFrame = field(repr=False)
    items: pd.DataFrame = field(repr=False)
    # Grades whose plan or goal is not part of this evaluation.
    orphans: int = 0

    @classmethod
    def build(cls, goals: Iterable[Goal], plans: Iterable[Plan], grades: Iterable[Grade]) -> EvalData:
        """Join the records; plans of unknown goals and grades of unknown plans are left out.

        A grade id written twice (a rerun re-graded a failure) counts once: the last usable
        record, or the last record when none is usable (a failed retry never hides a verdict).
        """
        gmap = {g.id: g for g in goals}
        pmap = {p.id: p for p in plans if p.goal_id in gmap}
        by_id: dict[str, Grade] = {}
        for g in grades:
            if g.id not in by_id or _usable(g) or not _usable(by_id[g.id]):
                by_id[g.id] = g
        grades = list(by_id.values())
        # Weighted and pitfall items score by HealthBench's rule (plain rubrics are unchanged).
        kept = [rescore(gmap[pmap[g.plan_id].goal_id], g)[0] for g in grades if g.plan_id in pmap]
        return cls(
            goals=gmap,
            plans=pmap,
            grades=kept,
            scores=_score_frame(gmap, pmap, kept),
            items=_item_frame(gmap, pmap, kept),
            orphans=len(grades) - len(kept),
        )

    @property
    def models(self) -> list[str]:
        """Models in the order their plans first appear."""
        return list(dict.fromkeys(p.model for p in self.plans.values()))

    @property
    def judges(self) -> list[str]:
        """Judges in the order their grades first appear (the jury excluded)."""
        return list(dict.fromkeys(g.grader for g in self.grades))

    @property
    def domains(self) -> list[str]:
        """The goals' domains, sorted."""
        return sorted({_domain(g) for g in self.goals.values()})

    def goal_scores(self, judge: str = JURY, domain: str = ALL) -> pd.DataFrame:
        """Goals × models table of mean scores (over samples) by `judge`; NaN where missing."""
        s = self.scores
        s = s[(s.judge == judge) & s.score.notna()]
        if domain != ALL:
            s = s[s.domain == domain]
        if s.empty:
            return pd.DataFrame()
        return s.groupby(["goal_id", "model"]).score.mean().unstack("model")

    def paired(self, model: str, baseline: str, judge: str = JURY, domain: str = ALL) -> tuple[np.ndarray, np.ndarray]:
        """Per-goal scores of `model` and `baseline` on the goals both were scored on."""
        t = self.goal_scores(judge, domain)
        if t.empty or model not in t or baseline not in t:
            return np.array([]), np.array([])
        both = t[[model, baseline]].dropna()
        return both[model].to_numpy(), both[baseline].to_numpy()

    def paired_goals(
        self, model: str, baseline: str, judge: str = JURY, domain: str = ALL
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """`paired` plus the goal id of each pair (to resample by paper)."""
        t = self.goal_scores(judge, domain)
        if t.empty or model not in t or baseline not in t:
            return np.array([]), np.array([]), []
        both = t[[model, baseline]].dropna()
        return both[model].to_numpy(), both[baseline].to_numpy(), [str(i) for i in both.index]

    def clusters(self, goal_ids: Iterable[str]) -> list[str]:
        """The cluster of each goal for resampling: its paper (a goal without paper_id is its own)."""
        out = []
        for gid in goal_ids:
            paper = self.goals[gid].paper_id if gid in self.goals else None
            out.append(f"paper:{paper}" if paper else f"goal:{gid}")
        return out


def _domain(goal: Goal) -> str:
    return goal.domain or UNKNOWN_DOMAIN


def _score_frame(goals: dict[str, Goal], plans: dict[str, Plan], grades: list[Grade]) -> pd.DataFrame:
    acc: dict[tuple[str, str], list[Grade]] = {}
    for g in grades:
        acc.setdefault((g.plan_id, g.grader), []).append(g)
    rows = []
    for (plan_id, judge), gs in acc.items():
        p = plans[plan_id]
        ok = [g.score for g in gs if _usable(g)]
        rows.append(
            {
                "goal_id": p.goal_id,
                "domain": _domain(goals[p.goal_id]),
                "model": p.model,
                "plan_id": plan_id,
                "sample": p.sample,
                "judge": judge,
                "score": float(np.mean(ok)) if ok else np.nan,
                "score_failed_as_0": float(sum(ok) / len(gs)),  # type: ignore[arg-type]
                "grades": len(gs),
                "failed": len(gs) - len(ok),
            }
        )
    frame = pd.DataFrame(rows, columns=_SCORE_COLUMNS)
    if frame.empty:
        return frame
    keys = ["goal_id", "domain", "model", "plan_id", "sample"]
    jury = frame.groupby(keys, as_index=False).agg(
        score=("score", "mean"), score_failed_as_0=("score_failed_as_0", "mean"), grades=("grades", "sum"),
        failed=("failed", "sum")
    )
    jury["judge"] = JURY
    return pd.concat([frame, jury[_SCORE_COLUMNS]], ignore_index=True)


def _item_frame(goals: dict[str, Goal], plans: dict[str, Plan], grades: list[Grade]) -> pd.DataFrame:
    rows = []
    for g in grades:
        # Grades in the guidelines-only view score guidelines, not rubric items.
        if not _usable(g) or not g.items or g.view == "guidelines":
            continue
        p = plans[g.plan_id]
        goal = goals[p.goal_id]
        for gi, idx in zip(g.items, item_indices(g, goal.rubric), strict=True):
            if idx is None:
                continue
            rows.append(
                {
                    "goal_id": p.goal_id,
                    "domain": _domain(goal),
                    "model": p.model,
                    "plan_id": p.id,
                    "sample": p.sample,
                    "judge": g.grader,
                    "index": idx,
                    "item": goal.rubric[idx],
                    "satisfied": bool(gi.satisfied),
                    "violations": tuple(gi.violations),
                }
            )
    return pd.DataFrame(rows, columns=_ITEM_COLUMNS)
