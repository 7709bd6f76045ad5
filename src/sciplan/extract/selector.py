"""The sample selector: each candidate's components scored, the best candidate kept.

Per candidate: rubric items scored for quality (1-5, kept as 0-1) and filtered to the
top k by maximal marginal relevance on sentence similarity; the goal and the filtered
rubric judged pass/fail on named criteria, each with a reason; the reference solution
graded with `sciplan.grade.Grader` against the filtered rubric, like any plan. The
component scores are goal (share of goal criteria passed), rubric (mean of the share of
rubric criteria passed and the kept items' mean quality) and reference (the grade's
score); the candidate with the best weighted average wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sciplan.extract.config import SelectorConfig
from sciplan.extract.creator import Candidate
from sciplan.extract.embeddings import Embedder
from sciplan.extract.errors import JudgmentError
from sciplan.extract.schema import checks_answer, item_scores_answer
from sciplan.grade import Grader, grade
from sciplan.llm import Message, Model
from sciplan.prompts import render
from sciplan.records import Goal, Grade, Plan, make_id

__all__ = [
    "ItemScore",
    "Check",
    "ScoredCandidate",
    "Selection",
    "mmr_select",
    "score_items",
    "check_sample",
    "grade_reference",
    "score_candidate",
    "select",
]


@dataclass
class ItemScore:
    """One preliminary rubric item: its quality (0-1), the reason, and whether it was kept."""

    index: int
    item: str
    quality: float
    reason: str = ""
    kept: bool = False
    rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "quality": round(self.quality, 4), "reason": self.reason, "kept": self.kept,
                "rank": self.rank}


@dataclass
class Check:
    """One named criterion judged pass/fail, with the judge's reason."""

    name: str
    passed: bool
    reason: str = ""


@dataclass
class ScoredCandidate:
    """A candidate with every selector score; `error` says why it cannot be used."""

    candidate: Candidate
    items: list[ItemScore] = field(default_factory=list)
    goal_checks: list[Check] = field(default_factory=list)
    rubric_checks: list[Check] = field(default_factory=list)
    grade: Grade | None = None
    scores: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    dropped: bool = False

    @property
    def kept(self) -> list[str]:
        """The filtered rubric, best item first."""
        ranked = sorted((i for i in self.items if i.kept), key=lambda i: i.rank or 0)
        return [i.item for i in ranked]

    @property
    def average(self) -> float | None:
        return None if self.dropped else self.scores.get("average")

    def checks_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{"goal": {name: {"pass", "reason"}}, "rubric": {...}} for `Goal.meta`."""
        return {part: {c.name: {"pass": c.passed, "reason": c.reason} for c in checks}
                for part, checks in (("goal", self.goal_checks), ("rubric", self.rubric_checks))}


@dataclass
class Selection:
    """Every scored candidate of a paper and the one kept (None: none usable)."""

    scored: list[ScoredCandidate]
    best: ScoredCandidate | None


def mmr_select(quality: Sequence[float], similarity: np.ndarray, k: int, lam: float = 0.7,
               max_similarity: float = 1.0, min_quality: float = 0.0) -> list[int]:
    """Indices of up to `k` items by maximal marginal relevance, in the order chosen.

    Each step takes the item maximising lam * quality - (1 - lam) * (its highest
    similarity to an item already taken); items below `min_quality`, or at least
    `max_similarity` similar to an item taken, are never taken. Ties go to the earlier item.
    """
    n = len(quality)
    pool = [i for i in range(n) if quality[i] >= min_quality]
    chosen: list[int] = []
    while pool and len(chosen) < k:
        best, best_value = None, -np.inf
        for i in pool:
            redundancy = max((float(similarity[i, j]) for j in chosen), default=0.0)
            value = lam * quality[i] - (1 - lam) * redundancy
            if value > best_value + 1e-12:
                best, best_value = i, value
        assert best is not None
        chosen.append(best)
        pool = [i for i in pool if i != best and float(similarity[i, best]) < max_similarity]
    return chosen


def _items_messages(goal: str, items: list[str], cfg: SelectorConfig) -> list[Message]:
    return [{"role": "user", "content": render("extract/items.j2", goal=goal, items=items,
                                               reason_chars=cfg.reason_chars)}]


async def score_items(model: Model, goal: str, items: list[str], config: SelectorConfig) -> list[tuple[float, str]]:
    """(quality in 0-1, reason) per item; an item the judge skipped gets 0. Raises JudgmentError."""
    cfg = config
    output = item_scores_answer(len(items), cfg.reason_chars)
    res = await model.generate_structured(_items_messages(goal, items, cfg), output, max_tokens=cfg.items_max_tokens,
                                          temperature=cfg.temperature, seed=cfg.seed, retries=cfg.retries)
    if res.value is None:
        raise JudgmentError(f"rubric item scores never validated after {res.attempts} attempt(s): {res.error}")
    out: list[tuple[float, str]] = [(0.0, "the judge gave no score for this item")] * len(items)
    seen: set[int] = set()
    for v in res.value.items:  # type: ignore[attr-defined]
        if 1 <= v.index <= len(items) and v.index not in seen:
            seen.add(v.index)
            out[v.index - 1] = ((v.score - 1) / 4, v.reason.strip()[: cfg.reason_chars])
    return out


async def check_sample(model: Model, goal: str, items: list[str],
                       config: SelectorConfig) -> tuple[list[Check], list[Check]]:
    """The goal criteria and the rubric criteria, each judged pass/fail. Raises JudgmentError."""
    cfg = config
    output = checks_answer(tuple(cfg.goal_criteria), tuple(cfg.rubric_criteria), cfg.reason_chars)
    prompt = render("extract/checks.j2", goal=goal, items=items, goal_criteria=cfg.goal_criteria,
                    rubric_criteria=cfg.rubric_criteria, reason_chars=cfg.reason_chars)
    res = await model.generate_structured([{"role": "user", "content": prompt}], output,
                                          max_tokens=cfg.checks_max_tokens, temperature=cfg.temperature,
                                          seed=cfg.seed, retries=cfg.retries)
    if res.value is None:
        raise JudgmentError(f"goal and rubric checks never validated after {res.attempts} attempt(s): {res.error}")

    def checks(group: Any, names: dict[str, str]) -> list[Check]:
        return [Check(n, getattr(group, n).verdict == "pass", getattr(group, n).reason.strip()[: cfg.reason_chars])
                for n in names]

    return checks(res.value.goal, cfg.goal_criteria), checks(res.value.rubric, cfg.rubric_criteria)  # type: ignore[attr-defined]


async def grade_reference(grader: Grader, candidate: Candidate, rubric: list[str]) -> Grade:
    """The reference solution graded like a plan against the filtered rubric."""
    goal = Goal(id=candidate.id, paper_id=candidate.paper_id, text=candidate.goal, rubric=rubric)
    plan = Plan(id=make_id("reference", candidate.id), goal_id=goal.id, model="reference", text=candidate.reference)
    # The goal carries no reference here: the reference is what is graded (mode `none`).
    (result,) = await grade(grader, [goal], [plan])
    return result


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


async def score_candidate(model: Model, grader: Grader, candidate: Candidate, config: SelectorConfig,
                          embedder: Embedder) -> ScoredCandidate:
    """Every selector score of one candidate; a failed judgment drops it or scores 0 (`on_failure`)."""
    cfg = config
    sc = ScoredCandidate(candidate)
    items = candidate.rubric
    try:
        judged = await score_items(model, candidate.goal, items, cfg)
    except JudgmentError as exc:
        sc.errors.append(str(exc))
        judged = [(0.0, "not scored: the judgment failed")] * len(items)
    sim = embedder.similarity(items, items)
    order = mmr_select([q for q, _ in judged], sim, cfg.top_k, cfg.mmr_lambda, cfg.max_similarity, cfg.min_quality)
    rank = {i: r for r, i in enumerate(order, start=1)}
    sc.items = [ItemScore(i + 1, item, q, why, i in rank, rank.get(i)) for i, (item, (q, why)) in
                enumerate(zip(items, judged))]
    kept = sc.kept
    if not kept:
        sc.errors.append(f"no rubric item reached min_quality {cfg.min_quality}")
        sc.dropped = True
        return sc
    checks, grade = await asyncio.gather(check_sample(model, candidate.goal, kept, cfg),
                                         grade_reference(grader, candidate, kept), return_exceptions=True)
    if isinstance(checks, BaseException):
        if not isinstance(checks, JudgmentError):
            raise checks
        sc.errors.append(str(checks))
    else:
        sc.goal_checks, sc.rubric_checks = checks
    if isinstance(grade, BaseException):
        raise grade
    sc.grade = grade
    if grade.failed:
        sc.errors.append(f"reference grade failed: {grade.error}")
    quality = _mean([i.quality for i in sc.items if i.kept])
    goal_score = _mean([float(c.passed) for c in sc.goal_checks])
    rubric_checks = _mean([float(c.passed) for c in sc.rubric_checks])
    reference = grade.score if grade.score is not None else 0.0
    sc.scores = {"goal": goal_score, "rubric": (rubric_checks + quality) / 2, "reference": reference,
                 "items.quality": quality, "rubric.checks": rubric_checks}
    sc.scores.update({f"goal.{c.name}": float(c.passed) for c in sc.goal_checks})
    sc.scores.update({f"rubric.{c.name}": float(c.passed) for c in sc.rubric_checks})
    total = sum(cfg.weights.values()) or 1.0
    sc.scores["average"] = sum(w * sc.scores[k] for k, w in cfg.weights.items()) / total
    sc.dropped = bool(sc.errors) and cfg.on_failure == "drop"
    return sc


async def select(model: Model, grader: Grader, candidates: Sequence[Candidate], config: SelectorConfig,
                 embedder: Embedder) -> Selection:
    """Score every candidate and keep the best average at or above `min_average` (ties: the first)."""
    scored = list(await asyncio.gather(*(score_candidate(model, grader, c, config, embedder) for c in candidates)))
    usable = [s for s in scored if not s.dropped and (s.average or 0.0) >= config.min_average]
    best = max(usable, key=lambda s: (s.average or 0.0, -s.candidate.index), default=None)
    return Selection(scored=scored, best=best)
