"""Agreement: among annotators (Fleiss' κ), and between annotators and each judge (Cohen's κ).

The κ statistics and the mapping of a judge's `Grade`s to labels comparable with an
annotator's are `sciplan.evaluate`'s (one implementation for the study and `sciplan
eval --human-labels`): `judge_agreement` turns the annotations into
`sciplan.evaluate.HumanLabels` and their plans and rubrics into records, and calls
`sciplan.evaluate.human_agreement`. Its rules, in short (the full statement is in
`sciplan.evaluate.humans`):

- **Preference.** A judge prefers the plan it scored higher (several grades of one plan by
  one judge are averaged). Equal scores are a judge tie: that pair is left out of κ and
  counted in `judge_ties`. Each annotation is one pair (human's preferred arm, judge's
  preferred arm), so a goal seen by K annotators gives K pairs.
- **Rubric items.** For each annotation, item and arm: the human's "satisfied" tick against
  the judge's verdict on that plan and item (`sciplan.evaluate.item_verdicts`: matched by
  the item's text, else by index). Several grades of one plan by one judge: the majority;
  an exact half is no verdict.
- **The jury** (reported as "jury", when there are two judges or more): preference by the
  judges' mean score, items by a strict majority of the judges with a verdict (a split
  jury gives no verdict).
- Grades marked `failed`, or without a score, are ignored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from itertools import combinations

from pydantic import BaseModel

from sciplan.evaluate.frames import JURY, EvalData, item_verdicts
from sciplan.evaluate.humans import HumanItem, HumanLabels, HumanPreference, human_agreement
from sciplan.evaluate.stats import cohen_kappa, fleiss_kappa, krippendorff_alpha, mean_pair_agreement
from sciplan.records import Goal, Grade, Plan
from sciplan.study.annotation import Annotation

__all__ = [
    "JURY",
    "Agreement",
    "InterAnnotator",
    "JudgeAgreement",
    "cohen_kappa",
    "fleiss_kappa",
    "inter_annotator",
    "item_verdicts",
    "judge_agreement",
    "mean_pair_agreement",
]


class Agreement(BaseModel):
    """Agreement over `n` units: raw agreement, chance-corrected κ and (among annotators) Krippendorff's α."""

    n: int = 0
    agreement: float | None = None
    kappa: float | None = None
    alpha: float | None = None


class InterAnnotator(BaseModel):
    """Agreement among annotators who saw the same goal (Fleiss' κ and Krippendorff's α, any number of raters per unit)."""

    goals: int = 0
    preference: Agreement = Agreement()
    satisfied: Agreement = Agreement()
    approval: Agreement = Agreement()
    # Mean absolute difference between two annotators' overall scores of the same plan.
    score_mad: float | None = None


class JudgeAgreement(BaseModel):
    """Agreement between the annotators and one judge (Cohen's κ)."""

    judge: str
    preference: Agreement = Agreement()
    judge_ties: int = 0
    items: Agreement = Agreement()


def _multi(units: list[list[Hashable]]) -> Agreement:
    units = [u for u in units if len(u) >= 2]
    return Agreement(
        n=len(units), agreement=mean_pair_agreement(units), kappa=fleiss_kappa(units), alpha=krippendorff_alpha(units)
    )


def inter_annotator(annotations: list[Annotation]) -> InterAnnotator:
    """Agreement among annotators over the goals that more than one of them annotated."""
    by_goal: dict[str, list[Annotation]] = defaultdict(list)
    for a in annotations:
        by_goal[a.goal_id].append(a)
    shared = {g: group for g, group in by_goal.items() if len(group) >= 2}
    pref, sat, valid, diffs = [], [], [], []
    for group in shared.values():
        pref.append([a.preference for a in group if a.preference])
        n_items = max(len(a.items) for a in group)
        for i in range(n_items):
            answers = [a.items[i] for a in group if i < len(a.items)]
            sat.append([x.satisfied_a for x in answers])
            sat.append([x.satisfied_b for x in answers])
            valid.append([x.valid for x in answers if x.valid is not None])
        for arm in ("a", "b"):
            scores = [getattr(a, f"score_{arm}") for a in group if getattr(a, f"score_{arm}") is not None]
            diffs += [abs(s - t) for s, t in combinations(scores, 2)]
    return InterAnnotator(
        goals=len(shared),
        preference=_multi(pref),
        satisfied=_multi(sat),
        approval=_multi(valid),
        score_mad=sum(diffs) / len(diffs) if diffs else None,
    )


def _records(annotations: list[Annotation]) -> tuple[list[Goal], list[Plan], HumanLabels]:
    """The annotations as evaluation records: goals with the rubric shown, both arms' plans, and the labels."""
    rubrics: dict[str, dict[int, str]] = defaultdict(dict)
    plans: dict[str, Plan] = {}
    labels = HumanLabels()
    for a in annotations:
        for it in a.items:
            rubrics[a.goal_id].setdefault(it.index, it.item)
        for pid, model in ((a.plan_a_id, a.model_a), (a.plan_b_id, a.model_b)):
            plans.setdefault(pid, Plan(id=pid, goal_id=a.goal_id, model=model, text=""))
        if a.preference:
            labels.preferences.append(
                HumanPreference(
                    goal_id=a.goal_id,
                    plan_a=a.plan_a_id,
                    plan_b=a.plan_b_id,
                    preferred=a.preference,
                    annotator=a.annotator,
                )
            )
        for it in a.items:
            for pid, satisfied in ((a.plan_a_id, it.satisfied_a), (a.plan_b_id, it.satisfied_b)):
                labels.items.append(
                    HumanItem(goal_id=a.goal_id, plan=pid, index=it.index, satisfied=satisfied, annotator=a.annotator)
                )
    goals = [
        Goal(id=gid, text="", rubric=[items.get(i, "") for i in range(max(items) + 1)] if items else [])
        for gid, items in rubrics.items()
    ]
    goals += [Goal(id=p.goal_id, text="") for p in plans.values() if p.goal_id not in rubrics]
    return list({g.id: g for g in goals}.values()), list(plans.values()), labels


def _agreement(row: dict) -> Agreement:
    if not row["n"]:
        return Agreement()
    return Agreement(n=int(row["n"]), agreement=row["agreement"], kappa=row["kappa"])


def judge_agreement(annotations: list[Annotation], grades: list[Grade]) -> list[JudgeAgreement]:
    """Cohen's κ between annotators and each judge (and the jury) on preference and rubric items."""
    goals, plans, labels = _records(annotations)
    table = human_agreement(labels, EvalData.build(goals, plans, grades))
    table = table.astype(object).where(table.notna(), None)
    by = {(r["judge"], r["labels"]): r for r in table.to_dict(orient="records")}
    judges = sorted({g.grader for g in grades if not g.failed})
    out = []
    for judge in judges + ([JURY] if len(judges) > 1 else []):
        pref = by.get((judge, "preference"), {"n": 0, "judge_ties": 0})
        items = by.get((judge, "items"), {"n": 0})
        out.append(
            JudgeAgreement(
                judge=judge, preference=_agreement(pref), judge_ties=int(pref["judge_ties"]), items=_agreement(items)
            )
        )
    return out
