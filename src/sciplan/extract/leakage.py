"""Criterion leakage: rubric items the goal text already states (so a plan earns them free).

Two signals per item: the judge model's verdict ("does the goal already state it?") and
the highest embedding similarity between the item and the goal (each sentence and the
whole). The config's `rule` combines them. The dataset-level rate is leaked items over
all items judged, read from `Goal.meta["leakage"]` or measured by similarity alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sciplan.extract.config import LeakageConfig
from sciplan.extract.embeddings import Embedder
from sciplan.extract.errors import JudgmentError
from sciplan.extract.schema import leakage_answer
from sciplan.llm import Model
from sciplan.prompts import render
from sciplan.records import Goal

__all__ = ["ItemLeak", "goal_sentences", "similarity_scores", "judge_leakage", "check_leakage", "combine",
           "leakage_rate", "measure_leakage"]

_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass
class ItemLeak:
    """The leakage verdict on one rubric item."""

    item: str
    similarity: float
    model: bool | None = None
    reason: str = ""
    leaked: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "similarity": round(self.similarity, 4), "model": self.model,
                "reason": self.reason, "leaked": self.leaked}


def goal_sentences(text: str) -> list[str]:
    """The goal's sentences (and the whole goal), the units an item is compared with."""
    parts = [p.strip() for p in _SENTENCE.split(text) if len(p.strip()) > 3]
    return list(dict.fromkeys([*parts, text.strip()]))


def similarity_scores(goal: str, items: Sequence[str], embedder: Embedder) -> list[float]:
    """Per item: its highest similarity to any goal sentence or to the whole goal."""
    if not items:
        return []
    sim = embedder.similarity(list(items), goal_sentences(goal))
    return [float(row.max()) if row.size else 0.0 for row in sim]


async def judge_leakage(model: Model, goal: str, items: Sequence[str], config: LeakageConfig,
                        *, temperature: float = 0.0, seed: int = 0) -> list[tuple[bool | None, str]]:
    """(stated, reason) per item from the judge model; None where it gave no verdict. Raises JudgmentError."""
    cfg = config
    prompt = render("extract/leakage.j2", goal=goal, items=list(items), reason_chars=cfg.reason_chars)
    res = await model.generate_structured([{"role": "user", "content": prompt}], leakage_answer(len(items),
                                          cfg.reason_chars), max_tokens=cfg.max_tokens, temperature=temperature,
                                          seed=seed, retries=cfg.retries)
    if res.value is None:
        raise JudgmentError(f"leakage verdicts never validated after {res.attempts} attempt(s): {res.error}")
    out: list[tuple[bool | None, str]] = [(None, "no verdict")] * len(items)
    seen: set[int] = set()
    for v in res.value.items:  # type: ignore[attr-defined]
        if 1 <= v.index <= len(items) and v.index not in seen:
            seen.add(v.index)
            out[v.index - 1] = (bool(v.stated), v.reason.strip()[: cfg.reason_chars])
    return out


def combine(model: bool | None, similarity: float, config: LeakageConfig) -> bool:
    """One verdict from the two signals under `config.rule` (a missing model verdict counts as no)."""
    by_similarity = similarity >= config.similarity_threshold
    by_model = bool(model)
    rule = config.rule if config.use_model else "similarity"
    if rule == "either":
        return by_model or by_similarity
    if rule == "both":
        return by_model and by_similarity
    return by_model if rule == "model" else by_similarity


async def check_leakage(model: Model | None, goal: str, items: Sequence[str], config: LeakageConfig,
                        embedder: Embedder) -> tuple[list[ItemLeak], str | None]:
    """Per-item leakage verdicts, and the error of a failed model judgment (then similarity alone)."""
    sims = similarity_scores(goal, items, embedder)
    verdicts: list[tuple[bool | None, str]] = [(None, "")] * len(items)
    error = None
    if config.use_model and model is not None and items:
        try:
            verdicts = await judge_leakage(model, goal, items, config)
        except JudgmentError as exc:
            error = str(exc)
    out = []
    for item, sim, (stated, why) in zip(items, sims, verdicts, strict=False):
        out.append(ItemLeak(item, sim, stated, why, combine(stated, sim, config)))
    return out, error


def leakage_rate(goals: Sequence[Goal]) -> tuple[float | None, int]:
    """Leaked items / items judged over goals with a recorded verdict, and how many goals had one."""
    leaked = judged = n = 0
    for g in goals:
        info = g.meta.get("leakage")
        if not isinstance(info, dict) or not isinstance(info.get("items"), list):
            continue
        n += 1
        for it in info["items"]:
            judged += 1
            leaked += bool(isinstance(it, dict) and it.get("leaked"))
    return (leaked / judged if judged else None), n


def measure_leakage(goals: Sequence[Goal], embedder: Embedder, threshold: float) -> float | None:
    """Similarity-only leakage rate of a dataset (e.g. an imported one with no recorded verdicts)."""
    leaked = total = 0
    for g in goals:
        sims = similarity_scores(g.text, g.rubric, embedder)
        leaked += sum(s >= threshold for s in sims)
        total += len(sims)
    return leaked / total if total else None
