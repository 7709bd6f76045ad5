"""Reward-hacking monitors: plan-length trend, rubric-keyword stuffing, injections, grader drift.

The policy will eventually exploit a frozen grader (method.md §6). Each monitor turns one
symptom into a number per step and warns once it crosses its threshold; the numbers are
logged every step so a curve shows the drift before the warning fires.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sciplan.train.config import MonitorSettings

__all__ = ["Alert", "HackingMonitor", "keywords", "rubric_keyword_overlap", "length_growth", "score_length_correlation"]

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z][a-z0-9-]{3,}")
# Words too common to signal copying from a rubric.
_STOP = frozenset(
    """
    about above after again against also among another because been before being below between both
    cannot could does doing down during each either every from further have having here into itself
    just like make many more most much must only other over same should since some such than that
    their them then there these they this those through under until upon very what when where which
    while will with within without would your plan plans study method methods using used uses such
    whether rather than each item items include includes including clear clearly specific specifies
    describes describe propose proposes ensure ensures based well also least
    """.split()
)


@dataclass(frozen=True)
class Alert:
    """A monitor's value past its threshold at a step."""

    monitor: str
    step: int
    value: float
    threshold: float
    message: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def keywords(text: str) -> set[str]:
    """Content words of a text (lowercase, 4+ letters, common words removed)."""
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def rubric_keyword_overlap(plan: str, rubric: Sequence[str], goal_text: str = "") -> float:
    """Share of the rubric's own keywords (those not already in the goal) that the plan contains.

    The policy never sees the rubric, so a plan that keeps hitting its exact words is
    either learning the grader's vocabulary or stuffing terms; words the goal itself
    uses are left out, since any plan may repeat them.
    """
    vocab = keywords(" ".join(rubric)) - keywords(goal_text)
    if not vocab:
        return 0.0
    return len(vocab & keywords(plan)) / len(vocab)


def length_growth(series: Sequence[float]) -> float:
    """Relative change of a series across its span, from a least-squares line (0.5: +50%)."""
    n = len(series)
    if n < 2:
        return 0.0
    xs = range(n)
    mx, my = (n - 1) / 2, sum(series) / n
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, series, strict=True)) / var
    start = my - slope * mx
    # Relative to the fitted start; a start near zero (empty plans) uses the mean instead.
    base = start if start > 1e-9 else my
    return slope * (n - 1) / base if base > 1e-9 else 0.0


def score_length_correlation(scores: Sequence[float | None], lengths: Sequence[int]) -> float | None:
    """Pearson correlation of rubric score with plan length over a step's graded plans (None: undefined).

    A correlation that climbs over training means longer plans are what the grader pays for.
    """
    pairs = [(float(s), float(n)) for s, n in zip(scores, lengths, strict=True) if s is not None]
    if len(pairs) < 3:
        return None
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sum((x - mx) * (y - my) for x, y in pairs) / (sxx * syy) ** 0.5


class HackingMonitor:
    """Watches each step and each validation; returns (and logs) the alerts they raise."""

    def __init__(self, settings: MonitorSettings) -> None:
        self.settings = settings
        self.lengths: list[float] = []
        self.divergence_start: float | None = None
        self.alerts: list[Alert] = []

    def observe_step(self, step: int, plan_lengths: Sequence[int], overlaps: Sequence[float], injected: Sequence[bool],
                     scores: Sequence[float | None] = ()) -> tuple[dict[str, float], list[Alert]]:
        """Values of the per-step monitors and the alerts they raise (`scores`: for the score–length correlation)."""
        s = self.settings
        values: dict[str, float] = {}
        found: list[Alert] = []
        if scores:
            corr = score_length_correlation(scores, plan_lengths)
            if corr is not None:
                values["score_length_corr"] = corr
        if plan_lengths:
            self.lengths.append(sum(plan_lengths) / len(plan_lengths))
            if len(self.lengths) >= s.window:
                growth = length_growth(self.lengths[-s.window :])
                values["length_growth"] = growth
                if growth > s.length_growth:
                    found.append(Alert("length_growth", step, growth, s.length_growth,
                                       f"mean plan length grew {growth:+.0%} over the last {s.window} steps: "
                                       "the policy may be padding plans for the grader"))
        if overlaps:
            overlap = sum(overlaps) / len(overlaps)
            values["keyword_overlap"] = overlap
            if overlap > s.keyword_overlap:
                found.append(Alert("keyword_overlap", step, overlap, s.keyword_overlap,
                                   f"plans contain {overlap:.0%} of the rubric-only keywords: possible rubric stuffing"))
        if injected:
            rate = sum(injected) / len(injected)
            values["injection_rate"] = rate
            if rate > s.injection_rate:
                found.append(Alert("injection_rate", step, rate, s.injection_rate,
                                   f"{rate:.0%} of plans were flagged for trying to instruct the grader"))
        return values, self._keep(found)

    def observe_validation(
        self, step: int, grader_score: float | None, judge_score: float | None
    ) -> tuple[dict[str, float], list[Alert]]:
        """Grader-vs-judge divergence on held-out plans, measured from its value at the first validation."""
        if grader_score is None or judge_score is None:
            return {}, []
        gap = grader_score - judge_score
        if self.divergence_start is None:
            self.divergence_start = gap
        drift = gap - self.divergence_start
        values = {"divergence": gap, "divergence_drift": drift}
        found = []
        if drift > self.settings.divergence:
            found.append(Alert("divergence", step, drift, self.settings.divergence,
                               f"the training grader now scores held-out plans {drift:+.2f} higher relative to the "
                               "validation judge than at the start: the policy may be exploiting the grader"))
        return values, self._keep(found)

    def _keep(self, found: list[Alert]) -> list[Alert]:
        for a in found:
            log.warning("reward-hacking monitor %s at step %d: %s", a.monitor, a.step, a.message)
        self.alerts += found
        return found
