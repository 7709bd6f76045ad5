"""Dataset statistics: counts, rubric sizes, leakage and duplicate rates, tokens per accepted goal."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sciplan.extract.config import DedupConfig
from sciplan.extract.dedup import find_duplicates
from sciplan.extract.embeddings import Embedder
from sciplan.extract.leakage import leakage_rate, measure_leakage
from sciplan.extract.stage import PaperLog
from sciplan.records import Goal

__all__ = ["DatasetStats", "dataset_stats"]


@dataclass
class DatasetStats:
    """What `sciplan dataset stats` prints."""

    goals: int
    papers: int
    by_domain: dict[str, int] = field(default_factory=dict)
    by_split: dict[str, int] = field(default_factory=dict)
    rubric_sizes: dict[int, int] = field(default_factory=dict)
    rubric_min: int = 0
    rubric_mean: float = 0.0
    rubric_max: int = 0
    with_reference: int = 0
    score_means: dict[str, float] = field(default_factory=dict)
    # Leaked items / items: as recorded by the stage ("recorded"), else by similarity alone.
    leakage_rate: float | None = None
    leakage_source: str | None = None
    # Goals that near-duplicate an earlier goal of the dataset.
    duplicates: int = 0
    # Goals the stage dropped as duplicates (from its duplicates file), when known.
    dropped_duplicates: int | None = None
    # Tokens spent per accepted goal: from the stage's log (every paper), else from the goals' own usage.
    tokens_per_goal: float | None = None
    tokens_source: str | None = None

    @property
    def duplicate_rate(self) -> float | None:
        """Near-duplicates (found now, or dropped by the stage) over all goals seen."""
        dropped = self.dropped_duplicates or 0
        seen = self.goals + dropped
        return (self.duplicates + dropped) / seen if seen else None


def dataset_stats(goals: Sequence[Goal], *, dedup: DedupConfig | None = None, embedder: Embedder | None = None,
                  leakage_threshold: float = 0.8, log: Sequence[PaperLog] | None = None,
                  dropped_duplicates: int | None = None) -> DatasetStats:
    """Statistics of a goal dataset; `log` and `dropped_duplicates` come from the stage's files when present."""
    sizes = [len(g.rubric) for g in goals]
    st = DatasetStats(goals=len(goals), papers=len({g.paper_id or g.id for g in goals}))
    st.by_domain = dict(Counter(g.domain or "unknown" for g in goals).most_common())
    st.by_split = dict(Counter(g.split or "—" for g in goals).most_common())
    st.rubric_sizes = dict(sorted(Counter(sizes).items()))
    if sizes:
        st.rubric_min, st.rubric_mean, st.rubric_max = min(sizes), statistics.fmean(sizes), max(sizes)
    st.with_reference = sum(bool(g.reference) for g in goals)
    for key in ("average", "goal", "rubric", "reference", "leakage"):
        values = [g.scores[key] for g in goals if key in g.scores]
        if values:
            st.score_means[key] = statistics.fmean(values)
    rate, judged = leakage_rate(goals)
    if judged:
        st.leakage_rate, st.leakage_source = rate, "recorded"
    elif embedder is not None and goals:
        st.leakage_rate, st.leakage_source = measure_leakage(goals, embedder, leakage_threshold), "similarity"
    cfg = dedup or DedupConfig()
    if goals:
        st.duplicates = len(find_duplicates(goals, cfg, embedder if cfg.method == "embedding" else None))
    st.dropped_duplicates = dropped_duplicates
    if log:
        accepted = sum(e.outcome == "accepted" for e in log)
        if accepted:
            st.tokens_per_goal, st.tokens_source = sum(e.tokens for e in log) / accepted, "log"
    if st.tokens_per_goal is None:
        used = [g.meta["usage"] for g in goals if isinstance(g.meta.get("usage"), dict)]
        if used:
            st.tokens_per_goal = statistics.fmean(int(u.get("prompt", 0)) + int(u.get("completion", 0)) for u in used)
            st.tokens_source = "goals"
    return st
