"""`sciplan dataset audit`: leakage measured PaperGym's way beside sciplan's own check, and more.

- **Leakage, PaperGym's way**: one judge call sees the goal and all its rubric items and
  answers per item whether the goal text alone already gives it away (the rate is items
  answered "yes" over items answered), so it can be set beside PaperGym's published rates.
- **Leakage, sciplan's check**: the same verdict combined with the item's similarity to
  the goal under the extraction's `leakage.rule` (`sciplan.extract.check_leakage`).
- Near-duplicate goals (`sciplan.extract.find_duplicates`), rubric size and item, goal
  and reference length distributions, references that fail their own rubric (graded
  like a plan: score below 1), and all of it per domain.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from pydantic import BaseModel, ConfigDict, Field

from sciplan.evaluate.plots import _png  # sets the Agg backend first
from sciplan.extract import DedupConfig, LeakageConfig, check_leakage, find_duplicates, get_embedder
from sciplan.grade import Grader
from sciplan.llm import Model
from sciplan.records import Goal

__all__ = ["PAPERGYM_RATES", "AuditConfig", "audit_dataset", "audit_plot"]

# Leakage rates PaperGym reports (share of rubric items the goal gives away).
PAPERGYM_RATES = {"ResearchPlanGen-ML": 0.3129, "ResearchPlanGen-ArXiv": 0.3410, "PaperGym-20k": 0.0373}


class AuditConfig(BaseModel):
    """What the audit measures and with which thresholds."""

    model_config = ConfigDict(extra="forbid")

    leakage: LeakageConfig = Field(default_factory=LeakageConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    embeddings: str = "lexical"
    # A reference fails its own rubric when its grade is below this.
    reference_pass: float = Field(1.0, gt=0, le=1)
    concurrency: int = Field(4, ge=1)


def _dist(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "min": None, "median": None, "mean": None, "max": None}
    a = np.asarray(values, float)
    return {"n": int(a.size), "min": float(a.min()), "p25": float(np.percentile(a, 25)),
            "median": float(np.median(a)), "mean": float(a.mean()), "p75": float(np.percentile(a, 75)),
            "max": float(a.max())}


def _words(text: str | None) -> int:
    return len((text or "").split())


async def audit_dataset(goals: Sequence[Goal], config: AuditConfig | None = None, *, judge: Model | None = None,
                        grader: Grader | None = None) -> dict[str, Any]:
    """The audit of `goals` (JSON-ready); without `judge` only similarity leakage, without `grader` no reference check."""
    cfg = config or AuditConfig()
    embedder = get_embedder(cfg.embeddings)
    leak_cfg = cfg.leakage if judge is not None else cfg.leakage.model_copy(update={"use_model": False})
    gate = asyncio.Semaphore(cfg.concurrency)

    async def one(goal: Goal) -> dict[str, Any]:
        async with gate:
            items, error = await check_leakage(judge, goal.text, goal.rubric, leak_cfg, embedder)
            row: dict[str, Any] = {"goal_id": goal.id, "domain": goal.domain or "unknown",
                                   "model": [i.model for i in items], "leaked": [i.leaked for i in items],
                                   "leak_error": error, "reference_score": None, "reference_failed": None}
            if grader is not None and (goal.reference or "").strip() and goal.rubric:
                g = await grader.grade(goal, goal.reference or "", plan_id=f"reference:{goal.id}")
                if not g.failed and g.score is not None:
                    row["reference_score"] = g.score
                    row["reference_failed"] = g.score < cfg.reference_pass
            return row

    rows = await asyncio.gather(*(one(g) for g in goals))
    dups = find_duplicates(goals, cfg.dedup, embedder if cfg.dedup.method == "embedding" else None)

    def rates(rs: Sequence[dict[str, Any]]) -> dict[str, Any]:
        answered = [v for r in rs for v in r["model"] if v is not None]
        leaked = [v for r in rs for v in r["leaked"]]
        refs = [r["reference_failed"] for r in rs if r["reference_failed"] is not None]
        return {"goals": len(rs), "items": len(leaked),
                "papergym_leakage": sum(answered) / len(answered) if answered else None,
                "papergym_answered": len(answered),
                "sciplan_leakage": sum(leaked) / len(leaked) if leaked else None,
                "references_graded": len(refs),
                "references_failing": sum(refs) / len(refs) if refs else None}

    by_domain: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_domain[r["domain"]].append(r)
    return {
        "overall": {**rates(rows), "duplicates": len(dups),
                    "duplicate_rate": len(dups) / len(goals) if goals else None,
                    "leak_errors": sum(r["leak_error"] is not None for r in rows)},
        "domains": [{"domain": d, **rates(rs)} for d, rs in sorted(by_domain.items())],
        "distributions": {
            "rubric_size": _dist([len(g.rubric) for g in goals]),
            "item_words": _dist([_words(i) for g in goals for i in g.rubric]),
            "goal_words": _dist([_words(g.text) for g in goals]),
            "reference_words": _dist([_words(g.reference) for g in goals if g.reference]),
        },
        "duplicates": [{"goal_id": d.goal_id, "of": d.of_id, "similarity": d.similarity} for d in dups],
        "published": PAPERGYM_RATES,
        "judge": judge.name if judge is not None else None,
        "grader": grader.name if grader is not None else None,
        "goals": rows,
    }


def audit_plot(audit: dict[str, Any]) -> bytes:
    """Leakage per domain (PaperGym's way and sciplan's) beside the published rates; rubric sizes."""
    fig = Figure(figsize=(10, 3.4))
    ax, bx = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    doms = audit["domains"]
    labels = [d["domain"] for d in doms] + list(audit["published"])
    nan = float("nan")
    pg = [d["papergym_leakage"] if d["papergym_leakage"] is not None else nan for d in doms]
    sp = [d["sciplan_leakage"] if d["sciplan_leakage"] is not None else nan for d in doms]
    x = np.arange(len(labels))
    ax.bar(x[: len(doms)] - 0.2, pg, 0.4, label="PaperGym-style (judge)")
    ax.bar(x[: len(doms)] + 0.2, sp, 0.4, label="sciplan check")
    ax.bar(x[len(doms):], list(audit["published"].values()), 0.4, color="#999", label="published (PaperGym)")
    ax.set_xticks(x, labels, rotation=25, fontsize=8)
    ax.set_ylabel("leaked rubric items")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    sizes = [len(r["leaked"]) for r in audit["goals"]]
    bx.hist(sizes, bins=range(0, max(sizes, default=1) + 2), color="#1a73e8")
    bx.set_xlabel("rubric size")
    bx.set_ylabel("goals")
    return _png(fig)
