"""Train/test splits (by date cutoff, venue tier, or a stable random draw) and domain mixtures.

The paper's test sets avoid contamination by date (arXiv test papers from after the
training cutoff) and by venue tier (ML test goals from Oral and Spotlight papers); both
are settings here. Training mixes domains with set ratios: `mix_domains`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import Field

from sciplan.config import Strict
from sciplan.errors import SciplanError
from sciplan.records import Goal, make_id

__all__ = ["SplitConfig", "venue_tier", "split_goals", "mixture_counts", "mix_domains"]


class SplitConfig(Strict):
    """How goals are split into train and test."""

    by: Literal["date", "venue", "random"] = "date"
    # by date: goals dated on or after the cutoff are test goals.
    cutoff: date | None = None
    # by venue: goals whose paper's tier (decision) is one of these are test goals.
    test_tiers: list[str] = Field(default_factory=lambda: ["oral", "spotlight"])
    # by random: the share of papers whose goals are test goals (stable per paper and seed).
    test_fraction: float = Field(0.1, ge=0, le=1)
    seed: int = 0
    # Goals the rule cannot place (no date, no tier): train, test, or left out.
    unknown: Literal["train", "test", "drop"] = "train"


def venue_tier(goal: Goal) -> str | None:
    """The tier of the goal's paper (`oral`, `spotlight`, `poster`...) from its metadata."""
    for key in ("decision", "venue_tier", "tier"):
        value = goal.meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


def _place(goal: Goal, cfg: SplitConfig) -> str | None:
    if cfg.by == "date":
        if cfg.cutoff is None:
            raise SciplanError("a date split needs a cutoff (YYYY-MM-DD)")
        return None if goal.date is None else ("test" if goal.date >= cfg.cutoff else "train")
    if cfg.by == "venue":
        tier = venue_tier(goal)
        return None if tier is None else ("test" if tier in {t.lower() for t in cfg.test_tiers} else "train")
    # Hash the paper, not the goal, so that all goals of one paper land on the same side.
    key = make_id("split", goal.paper_id or goal.id, cfg.seed)
    return "test" if int(key, 16) / 16 ** len(key) < cfg.test_fraction else "train"


def split_goals(goals: Sequence[Goal], config: SplitConfig) -> dict[str, list[Goal]]:
    """{"train": [...], "test": [...]} with each goal's `split` set; unplaceable goals per `unknown`."""
    out: dict[str, list[Goal]] = {"train": [], "test": []}
    for g in goals:
        side = _place(g, config)
        if side is None:
            if config.unknown == "drop":
                continue
            side = config.unknown
        out[side].append(g.model_copy(update={"split": side}))
    return out


def mixture_counts(available: Mapping[str, int], ratios: Mapping[str, float], n: int | None = None,
                   replace: bool = False) -> dict[str, int]:
    """Goals to draw per domain for `ratios` (largest remainder); `n` None: as many as the data allows."""
    if not ratios or any(r < 0 for r in ratios.values()) or sum(ratios.values()) <= 0:
        raise SciplanError("mixture ratios must be non-negative and not all zero")
    missing = [d for d, r in ratios.items() if r > 0 and available.get(d, 0) == 0]
    if missing:
        have = ", ".join(f"{d}={c}" for d, c in sorted(available.items())) or "none"
        raise SciplanError(f"no goals of domain(s) {', '.join(missing)} (available: {have})")
    total = sum(ratios.values())
    share = {d: r / total for d, r in ratios.items() if r > 0}
    if n is None:
        if replace:
            raise SciplanError("sampling with replacement needs a total size")
        n = int(min(available[d] / s for d, s in share.items()))
    exact = {d: n * s for d, s in share.items()}
    counts = {d: int(v) for d, v in exact.items()}
    for d in sorted(exact, key=lambda d: (-(exact[d] - counts[d]), d))[: n - sum(counts.values())]:
        counts[d] += 1
    if not replace:
        short = [f"{d} needs {c}, has {available[d]}" for d, c in counts.items() if c > available[d]]
        if short:
            raise SciplanError("not enough goals for the mixture without replacement: " + "; ".join(short))
    return counts


def mix_domains(goals: Sequence[Goal], ratios: Mapping[str, float], n: int | None = None, *, seed: int = 0,
                replace: bool = False) -> list[Goal]:
    """A sample of goals whose domains follow `ratios` (goals without a domain count as `unknown`)."""
    by_domain: dict[str, list[Goal]] = {}
    for g in goals:
        by_domain.setdefault(g.domain or "unknown", []).append(g)
    counts = mixture_counts({d: len(v) for d, v in by_domain.items()}, ratios, n, replace)
    rng = random.Random(seed)
    out: list[Goal] = []
    for d in sorted(counts):
        pool = by_domain[d]
        out += rng.choices(pool, k=counts[d]) if replace else rng.sample(pool, counts[d])
    rng.shuffle(out)
    return out
