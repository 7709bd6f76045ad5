"""The study's statistics: preference for arm `a`, overall scores, rubric items, agreement.

Units: each submitted annotation counts once. Because a goal seen by several annotators
gives correlated annotations, the preference is also tested per goal (the goal's majority
preference; goals with a split vote are left out). A tie answer (where the study offers
one) is counted and left out of the binomial tests. Attention items are left out of every
statistic; each annotator's pass rate on them is reported. Position bias is how often the
plan shown on the left won, tested against 1/2.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

from pydantic import BaseModel, Field
from scipy import stats

from sciplan.records import Grade
from sciplan.study.agreement import (
    InterAnnotator,
    JudgeAgreement,
    inter_annotator,
    judge_agreement,
)
from sciplan.study.annotation import Annotation

__all__ = [
    "AttentionPass",
    "Proportion",
    "Scores",
    "RubricStats",
    "StudyReport",
    "preference_test",
    "score_stats",
    "rubric_stats",
    "analyze",
]


class Proportion(BaseModel):
    """k of n preferred arm `a`: the rate, its exact (Clopper-Pearson) CI and the two-sided binomial p vs 1/2."""

    n: int
    k: int
    rate: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    confidence: float = 0.95


class Scores(BaseModel):
    """Overall 1-10 scores of the two arms over annotations that scored both plans."""

    n: int = 0
    mean_a: float | None = None
    mean_b: float | None = None
    sd_a: float | None = None
    sd_b: float | None = None
    mean_diff: float | None = None
    # Two-sided Wilcoxon signed-rank test of a - b (zero differences dropped); None when undefined.
    p_value: float | None = None


class RubricStats(BaseModel):
    """Rubric items: how often each arm satisfied them, and how often annotators approved them."""

    judgments: int = 0
    satisfied_a: float | None = None
    satisfied_b: float | None = None
    approval_answers: int = 0
    approval_rate: float | None = None
    # Distinct (goal, item) pairs with an approval answer, and the share a majority approved.
    items: int = 0
    items_approved: float | None = None


class AttentionPass(BaseModel):
    """One annotator's answers on the attention items: how many they passed (preferred the clean plan)."""

    annotator: str
    items: int
    passed: int
    rate: float | None = None


class StudyReport(BaseModel):
    """Everything `sciplan study analyze` reports."""

    model_a: str = ""
    model_b: str = ""
    annotations: int = 0
    goals: int = 0
    annotators: int = 0
    preference: Proportion
    preference_by_goal: Proportion
    # Tie answers (left out of the preference tests).
    ties: int = 0
    # How often the plan shown on the left (Plan 1) was preferred, against 1/2.
    position_bias: Proportion = Proportion(n=0, k=0)
    attention: list[AttentionPass] = Field(default_factory=list)
    scores: Scores
    rubric: RubricStats
    minutes_median: float | None = None
    minutes_mean: float | None = None
    inter_annotator: InterAnnotator
    jury: list[JudgeAgreement] = Field(default_factory=list)


def preference_test(k: int, n: int, confidence: float = 0.95) -> Proportion:
    """The preference rate k/n with its exact CI and the two-sided binomial test against 1/2."""
    if n == 0:
        return Proportion(n=0, k=0, confidence=confidence)
    test = stats.binomtest(k, n, 0.5, alternative="two-sided")
    ci = test.proportion_ci(confidence_level=confidence, method="exact")
    rate = k / n
    return Proportion(
        n=n,
        k=k,
        rate=rate,
        se=math.sqrt(rate * (1 - rate) / n),
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        p_value=float(test.pvalue),
        confidence=confidence,
    )


def _sd(values: list[int]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def score_stats(pairs: list[tuple[int, int]]) -> Scores:
    """Means, SDs and the paired Wilcoxon test of (score a, score b) pairs."""
    if not pairs:
        return Scores()
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    diffs = [x - y for x, y in pairs]
    p_value = None
    if any(diffs):
        p_value = float(stats.wilcoxon(a, b, zero_method="wilcox", alternative="two-sided").pvalue)
    return Scores(
        n=len(pairs),
        mean_a=statistics.fmean(a),
        mean_b=statistics.fmean(b),
        sd_a=_sd(a),
        sd_b=_sd(b),
        mean_diff=statistics.fmean(diffs),
        p_value=p_value,
    )


def rubric_stats(annotations: list[Annotation]) -> RubricStats:
    """Satisfaction rate per arm and approval rates (per answer, and per item by majority)."""
    items = [i for a in annotations for i in a.items]
    answered = [i.valid for i in items if i.valid is not None]
    votes: dict[tuple[str, int], list[bool]] = defaultdict(list)
    for a in annotations:
        for i in a.items:
            if i.valid is not None:
                votes[(a.goal_id, i.index)].append(i.valid)
    approved = [2 * sum(v) > len(v) for v in votes.values()]
    return RubricStats(
        judgments=len(items),
        satisfied_a=sum(i.satisfied_a for i in items) / len(items) if items else None,
        satisfied_b=sum(i.satisfied_b for i in items) / len(items) if items else None,
        approval_answers=len(answered),
        approval_rate=sum(answered) / len(answered) if answered else None,
        items=len(votes),
        items_approved=sum(approved) / len(approved) if approved else None,
    )


def attention_passes(annotations: list[Annotation]) -> list[AttentionPass]:
    """Each annotator's pass rate on the attention items they answered (a tie or no answer fails)."""
    by: dict[str, list[bool]] = defaultdict(list)
    for a in annotations:
        if a.attention is not None:
            by[a.annotator].append(a.preference == a.attention)
    return [
        AttentionPass(annotator=who, items=len(v), passed=sum(v), rate=sum(v) / len(v)) for who, v in sorted(by.items())
    ]


def analyze(
    annotations: list[Annotation],
    grades: list[Grade] | None = None,
    include_started: bool = False,
    confidence: float = 0.95,
) -> StudyReport:
    """The study's statistics from its annotations (submitted ones unless `include_started`)."""
    answered = [a for a in annotations if a.status == "done" or (include_started and a.status == "started")]
    used = [a for a in answered if a.attention is None]
    prefs = [a.preference for a in used if a.preference in ("a", "b")]
    by_goal: dict[str, list[str]] = defaultdict(list)
    for a in used:
        if a.preference in ("a", "b"):
            by_goal[a.goal_id].append(a.preference)
    left_wins = sum(a.preference == a.left_arm for a in used if a.preference in ("a", "b"))
    majorities = ["a" if v.count("a") > v.count("b") else "b" for v in by_goal.values() if v.count("a") != v.count("b")]
    minutes = [a.time_spent_ms / 60000 for a in used if a.status == "done" and a.time_spent_ms > 0]
    return StudyReport(
        model_a=next((a.model_a for a in used), ""),
        model_b=next((a.model_b for a in used), ""),
        annotations=len(used),
        goals=len({a.goal_id for a in used}),
        annotators=len({a.annotator for a in used}),
        preference=preference_test(prefs.count("a"), len(prefs), confidence),
        preference_by_goal=preference_test(majorities.count("a"), len(majorities), confidence),
        ties=sum(a.preference == "tie" for a in used),
        position_bias=preference_test(left_wins, len(prefs), confidence),
        attention=attention_passes(answered),
        scores=score_stats([(a.score_a, a.score_b) for a in used if a.score_a is not None and a.score_b is not None]),
        rubric=rubric_stats(used),
        minutes_median=statistics.median(minutes) if minutes else None,
        minutes_mean=statistics.fmean(minutes) if minutes else None,
        inter_annotator=inter_annotator(used),
        jury=judge_agreement(used, grades) if grades else [],
    )
