"""Near-duplicate goals across papers: MinHash LSH over word shingles, or embedding cosine.

The index holds the goals kept so far; a new goal whose similarity to a kept goal (of
another paper, by default) reaches the threshold is a duplicate and is dropped. The
MinHash verdict is always the exact Jaccard similarity of the two shingle sets; up to
`EXACT_UP_TO` kept goals every one is compared, beyond that MinHash LSH (tuned below
the threshold, so near-threshold pairs are still proposed) picks the goals to compare.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sciplan.extract.config import DedupConfig
from sciplan.extract.embeddings import Embedder, word_tokens
from sciplan.records import Goal

# Below this many kept goals, comparing with all of them is cheap and exact.
EXACT_UP_TO = 1000

__all__ = ["EXACT_UP_TO", "Duplicate", "DuplicateIndex", "shingles", "jaccard", "find_duplicates", "drop_duplicates"]


@dataclass(frozen=True)
class Duplicate:
    """Goal `goal_id` near-duplicates the earlier kept goal `of_id`."""

    goal_id: str
    of_id: str
    similarity: float


def shingles(text: str, size: int) -> set[str]:
    """Word `size`-grams of the text's content words (the whole text when shorter)."""
    words = word_tokens(text)
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets: nothing to compare)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


class DuplicateIndex:
    """The goals kept so far; `check` says whether a new goal duplicates one of them."""

    def __init__(self, config: DedupConfig, embedder: Embedder | None = None) -> None:
        if config.method == "embedding" and embedder is None:
            raise ValueError("embedding dedup needs an embedder")
        self.config = config
        self.embedder = embedder
        self._goals: list[Goal] = []
        self._by_id: dict[str, Goal] = {}
        self._shingles: dict[str, set[str]] = {}
        self._lsh = None
        self._perm = None
        self._scheme = None
        self._memo: tuple[str, set[str], Any] | None = None
        if config.method == "minhash":
            from datasketch import MinHash, MinHashLSH

            # Drawn once: drawing the permutations for every goal would dominate the cost.
            template = MinHash(num_perm=config.num_perm, seed=config.seed)
            self._perm, self._scheme = template.permutations, template.scheme

            # LSH is probabilistic around its threshold: propose pairs well below ours.
            self._lsh = MinHashLSH(threshold=max(0.05, config.threshold - 0.2), num_perm=config.num_perm)

    def __len__(self) -> int:
        return len(self._goals)

    def _minhash(self, sh: set[str]) -> Any:
        from datasketch import MinHash

        m = MinHash(num_perm=self.config.num_perm, seed=self.config.seed, permutations=self._perm,
                    scheme=self._scheme)
        m.update_batch([s.encode("utf-8") for s in sh])
        return m

    def _sketch(self, text: str) -> tuple[set[str], Any]:
        """Shingles and MinHash of a text, memoised for the check-then-add of one offer."""
        if self._memo is not None and self._memo[0] == text:
            return self._memo[1], self._memo[2]
        sh = shingles(text, self.config.shingle)
        mh = self._minhash(sh) if sh and self._lsh is not None else None
        self._memo = (text, sh, mh)
        return sh, mh

    def _comparable(self, a: Goal, b: Goal) -> bool:
        if not self.config.across_papers_only:
            return True
        return a.paper_id is None or b.paper_id is None or a.paper_id != b.paper_id

    def check(self, goal: Goal) -> Duplicate | None:
        """The most similar kept goal at or above the threshold, or None."""
        cfg = self.config
        best: Duplicate | None = None
        if cfg.method == "minhash":
            sh, mh = self._sketch(goal.text)
            if not sh or self._lsh is None:
                return None
            by_id = self._by_id
            keys = list(by_id) if len(by_id) <= EXACT_UP_TO else sorted(self._lsh.query(mh))
            for key in keys:
                other = by_id[key]
                sim = jaccard(sh, self._shingles[key])
                if self._comparable(goal, other) and sim >= cfg.threshold and (best is None or sim > best.similarity):
                    best = Duplicate(goal.id, other.id, sim)
            return best
        pool = [g for g in self._goals if self._comparable(goal, g)]
        if not pool or self.embedder is None:
            return None
        sims = self.embedder.similarity([goal.text], [g.text for g in pool])[0]
        for other, sim in zip(pool, sims, strict=False):
            if float(sim) >= cfg.threshold and (best is None or float(sim) > best.similarity):
                best = Duplicate(goal.id, other.id, float(sim))
        return best

    def add(self, goal: Goal) -> None:
        """Keep `goal`: later goals are compared with it."""
        if goal.id in self._shingles:
            return
        self._goals.append(goal)
        self._by_id[goal.id] = goal
        sh, mh = self._sketch(goal.text)
        self._shingles[goal.id] = sh
        # Filled from the start, so the switch to LSH past EXACT_UP_TO needs no rebuild.
        if self._lsh is not None and mh is not None:
            self._lsh.insert(goal.id, mh)

    def offer(self, goal: Goal) -> Duplicate | None:
        """Keep `goal` unless it duplicates a kept one; return the duplicate found, if any."""
        dup = self.check(goal)
        if dup is None:
            self.add(goal)
        return dup


def drop_duplicates(goals: Iterable[Goal], config: DedupConfig,
                    embedder: Embedder | None = None) -> tuple[list[Goal], list[Duplicate]]:
    """The goals with later near-duplicates dropped (first come, first kept), and what was dropped."""
    index = DuplicateIndex(config, embedder)
    kept: list[Goal] = []
    dups: list[Duplicate] = []
    for g in goals:
        dup = index.offer(g)
        if dup is None:
            kept.append(g)
        else:
            dups.append(dup)
    return kept, dups


def find_duplicates(goals: Sequence[Goal], config: DedupConfig, embedder: Embedder | None = None) -> list[Duplicate]:
    """The goals that near-duplicate an earlier one in `goals`."""
    return drop_duplicates(goals, config, embedder)[1]
