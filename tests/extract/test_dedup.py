"""Near-duplicate goals across papers: MinHash (exact Jaccard verdict) and embeddings."""

from __future__ import annotations

import pytest

from sciplan.extract import DedupConfig, DuplicateIndex, LexicalEmbedder, drop_duplicates, jaccard, shingles
from sciplan.records import Goal

BASE = ("Find out whether watering frequency changes tomato yield in a greenhouse within one season, "
        "using only standard irrigation equipment and at most sixty plants.")


def goal(gid: str, text: str, paper: str | None = None) -> Goal:
    return Goal(id=gid, paper_id=paper or gid, text=text)


def test_shingles_and_jaccard():
    assert shingles("The watering of tomatoes", 2) == {"watering tomatoe"}
    assert shingles("Tomato yield", 3) == {"tomato yield"}
    a, b = {"x", "y", "z"}, {"y", "z", "w"}
    assert jaccard(a, b) == 0.5 and jaccard(set(), set()) == 0.0


def test_minhash_drops_near_duplicates_across_papers_only():
    goals = [
        goal("g1", BASE),
        goal("g2", "Determine which light spectrum maximises lettuce growth in vertical farms."),
        goal("g3", BASE.replace("sixty", "60")),                  # another paper, nearly the same goal
        goal("g4", BASE.replace("sixty", "70"), paper="g1"),      # the same paper as g1: not compared
    ]
    cfg = DedupConfig(method="minhash", threshold=0.7)
    kept, dups = drop_duplicates(goals, cfg)
    assert [g.id for g in kept] == ["g1", "g2", "g4"]
    [d] = dups
    assert (d.goal_id, d.of_id) == ("g3", "g1")
    assert d.similarity == pytest.approx(jaccard(shingles(BASE, 3), shingles(goals[2].text, 3)))
    assert d.similarity >= 0.7

    kept, dups = drop_duplicates(goals, cfg.model_copy(update={"across_papers_only": False}))
    assert [g.id for g in kept] == ["g1", "g2"] and {d.goal_id for d in dups} == {"g3", "g4"}


def test_threshold_is_respected():
    a, b = goal("a", BASE), goal("b", BASE + " The plants are grown in pots of two sizes and two soils.")
    sim = jaccard(shingles(a.text, 3), shingles(b.text, 3))
    assert drop_duplicates([a, b], DedupConfig(threshold=sim + 0.01))[1] == []
    assert len(drop_duplicates([a, b], DedupConfig(threshold=sim - 0.01))[1]) == 1


def test_embedding_dedup():
    index = DuplicateIndex(DedupConfig(method="embedding", threshold=0.8), LexicalEmbedder())
    assert index.offer(goal("a", BASE)) is None
    dup = index.offer(goal("b", BASE.replace("Find out", "Test")))
    assert dup is not None and dup.of_id == "a" and len(index) == 1
    assert index.offer(goal("c", "Measure the thermal conductivity of graphene foams.")) is None
    with pytest.raises(ValueError):
        DuplicateIndex(DedupConfig(method="embedding"))


def test_lsh_proposes_pairs_beyond_the_exact_range(monkeypatch):
    from sciplan.extract import dedup

    monkeypatch.setattr(dedup, "EXACT_UP_TO", 0)
    goals = [goal("g1", BASE), goal("g2", "Measure the thermal conductivity of graphene foams."),
             goal("g3", BASE.replace("sixty", "60"))]
    kept, dups = drop_duplicates(goals, DedupConfig(threshold=0.7))
    assert [g.id for g in kept] == ["g1", "g2"] and [(d.goal_id, d.of_id) for d in dups] == [("g3", "g1")]
