"""Agreement: Cohen's κ, Fleiss' κ, among annotators, and between annotators and each judge.

How a judge's `Grade`s become labels comparable with an annotator's (the jury mapping):

- **Preference.** A judge prefers the plan it scored higher (`Grade.score`; several grades
  of one plan by one judge are averaged). Equal scores are a judge tie: that pair is left
  out of κ and counted in `judge_ties`. Each annotation is one pair (human's preferred arm,
  judge's preferred arm), so a goal seen by K annotators gives K pairs.
- **Rubric items.** For each annotation, item and arm: the human's "satisfied" tick against
  the judge's `GradeItem.satisfied` for that plan and item. A `GradeItem` with text is
  matched to the rubric item it repeats (whitespace and case ignored; no match, no verdict,
  e.g. a guideline in the grader's guidelines-only view); one without text by `index`,
  read as 1-based when the grade's indices run 1..n for an n-item rubric (as
  `sciplan.grade` writes them), else 0-based.
  Several grades of one plan by one judge: satisfied when most of them say so.
- **The jury** (reported as "(jury)"): preference by the judges' mean score, items by a
  strict majority of the judges that graded the item.
- Grades marked `failed`, or without a score (for preference), are ignored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from itertools import combinations

from pydantic import BaseModel

from sciplan.records import Grade
from sciplan.study.annotation import Annotation

__all__ = [
    "Agreement",
    "InterAnnotator",
    "JudgeAgreement",
    "cohen_kappa",
    "fleiss_kappa",
    "mean_pair_agreement",
    "inter_annotator",
    "judge_agreement",
    "item_verdicts",
    "JURY",
]

JURY = "(jury)"


class Agreement(BaseModel):
    """Agreement over `n` units: raw agreement and chance-corrected κ (None when undefined)."""

    n: int = 0
    agreement: float | None = None
    kappa: float | None = None


class InterAnnotator(BaseModel):
    """Agreement among annotators who saw the same goal (Fleiss' κ, any number of raters per unit)."""

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


def cohen_kappa(x: Sequence[Hashable], y: Sequence[Hashable]) -> float | None:
    """Cohen's κ of two raters' labels on the same units; None when chance agreement is 1."""
    if len(x) != len(y):
        raise ValueError("cohen_kappa needs two label lists of the same length")
    n = len(x)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(x, y)) / n
    cx, cy = Counter(x), Counter(y)
    expected = sum(cx[c] * cy[c] for c in cx) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def fleiss_kappa(units: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' κ; each unit is the list of its labels (units with fewer than 2 are skipped).

    Units may have different numbers of raters: per-unit agreement is the share of agreeing
    rater pairs, and chance agreement uses the pooled label shares. With a constant number
    of raters this is exactly Fleiss (1971).
    """
    units = [u for u in units if len(u) >= 2]
    if not units:
        return None
    p_bar = mean_pair_agreement(units)
    pooled = Counter(label for u in units for label in u)
    total = sum(pooled.values())
    expected = sum((c / total) ** 2 for c in pooled.values())
    if expected >= 1.0 or p_bar is None:
        return None
    return (p_bar - expected) / (1.0 - expected)


def mean_pair_agreement(units: Sequence[Sequence[Hashable]]) -> float | None:
    """The mean over units of the share of rater pairs that agree (units with fewer than 2 skipped)."""
    shares = []
    for u in units:
        if len(u) < 2:
            continue
        counts = Counter(u)
        shares.append(sum(c * (c - 1) for c in counts.values()) / (len(u) * (len(u) - 1)))
    return sum(shares) / len(shares) if shares else None


def _multi(units: list[list[Hashable]]) -> Agreement:
    units = [u for u in units if len(u) >= 2]
    return Agreement(n=len(units), agreement=mean_pair_agreement(units), kappa=fleiss_kappa(units))


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


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def item_verdicts(grade: Grade, rubric: list[str]) -> dict[int, bool]:
    """A grade's per-item verdicts keyed by 0-based rubric index (see the module notes)."""
    by_text = {_norm(t): i for i, t in enumerate(rubric)}
    indices = [gi.index for gi in grade.items]
    one_based = bool(indices) and min(indices) >= 1 and max(indices) == len(rubric)
    out: dict[int, bool] = {}
    for gi in grade.items:
        if gi.item:
            # Text that is no rubric item (a guideline in the guidelines-only view) is no item verdict.
            i = by_text.get(_norm(gi.item), -1)
        else:
            i = gi.index - 1 if one_based else gi.index
        if 0 <= i < len(rubric):
            out[i] = gi.satisfied
    return out


def _majority(votes: list[bool]) -> bool | None:
    yes = sum(votes)
    return True if 2 * yes > len(votes) else False if 2 * yes < len(votes) else None


def _jury_marks(per_judge: list[dict[int, bool]]) -> dict[int, bool]:
    votes: dict[int, list[bool]] = defaultdict(list)
    for marks in per_judge:
        for i, v in marks.items():
            votes[i].append(v)
    # A split jury has no verdict on that item: it is left out rather than guessed.
    return {i: m for i, v in votes.items() if (m := _majority(v)) is not None}


def judge_agreement(annotations: list[Annotation], grades: list[Grade]) -> list[JudgeAgreement]:
    """Cohen's κ between annotators and each judge (and the jury) on preference and rubric items."""
    usable = [g for g in grades if not g.failed]
    judges = sorted({g.grader for g in usable})
    by_plan: dict[tuple[str, str], list[Grade]] = defaultdict(list)
    for g in usable:
        by_plan[(g.grader, g.plan_id)].append(g)

    def score(judge: str, plan_id: str) -> float | None:
        s = [g.score for g in by_plan.get((judge, plan_id), []) if g.score is not None]
        return sum(s) / len(s) if s else None

    def verdicts(judge: str, plan_id: str, rubric: list[str]) -> dict[int, bool]:
        votes: dict[int, list[bool]] = defaultdict(list)
        for g in by_plan.get((judge, plan_id), []):
            for i, v in item_verdicts(g, rubric).items():
                votes[i].append(v)
        return {i: bool(_majority(v)) for i, v in votes.items()}

    def prefer(sa: float | None, sb: float | None) -> str | None:
        if sa is None or sb is None:
            return None
        if abs(sa - sb) <= 1e-9:  # means of fractions: equal up to rounding is equal
            return "tie"
        return "a" if sa > sb else "b"

    out = []
    for judge in judges + ([JURY] if len(judges) > 1 else []):
        pairs, ties, item_pairs = [], 0, []
        for a in annotations:
            plans = {"a": a.plan_a_id, "b": a.plan_b_id}
            rubric = [i.item for i in a.items]
            if judge == JURY:
                means = {}
                for arm, pid in plans.items():
                    s = [x for x in (score(j, pid) for j in judges) if x is not None]
                    means[arm] = sum(s) / len(s) if s else None
                side = prefer(means["a"], means["b"])
                marks = {arm: _jury_marks([verdicts(j, pid, rubric) for j in judges]) for arm, pid in plans.items()}
            else:
                side = prefer(score(judge, plans["a"]), score(judge, plans["b"]))
                marks = {arm: verdicts(judge, pid, rubric) for arm, pid in plans.items()}
            if a.preference and side == "tie":
                ties += 1
            elif a.preference and side:
                pairs.append((a.preference, side))
            for it in a.items:
                for arm, human in (("a", it.satisfied_a), ("b", it.satisfied_b)):
                    if it.index in marks[arm]:
                        item_pairs.append((human, marks[arm][it.index]))
        out.append(
            JudgeAgreement(
                judge=judge,
                preference=_pairs(pairs),
                judge_ties=ties,
                items=_pairs(item_pairs),
            )
        )
    return out


def _pairs(pairs: list[tuple[Hashable, Hashable]]) -> Agreement:
    if not pairs:
        return Agreement()
    x, y = zip(*pairs)
    return Agreement(n=len(pairs), agreement=sum(p == q for p, q in pairs) / len(pairs), kappa=cohen_kappa(x, y))
