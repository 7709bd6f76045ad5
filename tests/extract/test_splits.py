"""Splits by date cutoff, venue tier and a stable random draw; domain-mixture sampling."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from sciplan.errors import SciplanError
from sciplan.extract import SplitConfig, mix_domains, mixture_counts, split_goals
from sciplan.records import Goal


def g(gid: str, **kw) -> Goal:
    return Goal(id=gid, paper_id=kw.pop("paper_id", gid), text=f"goal {gid}", **kw)


def test_split_by_date_cutoff():
    goals = [g("a", date=date(2025, 7, 31)), g("b", date=date(2025, 8, 1)), g("c")]
    parts = split_goals(goals, SplitConfig(by="date", cutoff=date(2025, 8, 1)))
    assert [x.id for x in parts["train"]] == ["a", "c"] and [x.id for x in parts["test"]] == ["b"]
    assert {x.split for x in parts["test"]} == {"test"}
    parts = split_goals(goals, SplitConfig(by="date", cutoff=date(2025, 8, 1), unknown="drop"))
    assert [x.id for x in parts["train"]] == ["a"]
    with pytest.raises(SciplanError, match="cutoff"):
        split_goals(goals, SplitConfig(by="date"))


def test_split_by_venue_tier():
    goals = [g("a", meta={"decision": "Oral"}), g("b", meta={"decision": "poster"}),
             g("c", meta={"venue_tier": "spotlight"}), g("d")]
    parts = split_goals(goals, SplitConfig(by="venue", unknown="test"))
    assert [x.id for x in parts["test"]] == ["a", "c", "d"] and [x.id for x in parts["train"]] == ["b"]


def test_random_split_is_stable_and_keeps_papers_together():
    goals = [g(f"g{i}", paper_id=f"p{i // 2}") for i in range(400)]
    cfg = SplitConfig(by="random", test_fraction=0.25, seed=3)
    parts = split_goals(goals, cfg)
    # The draw depends on the paper and the seed, not on the order of the goals.
    assert {x.id for x in parts["test"]} == {x.id for x in split_goals(list(reversed(goals)), cfg)["test"]}
    assert 0.15 < len(parts["test"]) / 400 < 0.35
    side = {x.id: x.split for part in parts.values() for x in part}
    assert all(side[f"g{2 * k}"] == side[f"g{2 * k + 1}"] for k in range(200))


def test_mixture_counts():
    assert mixture_counts({"ml": 100, "medical": 100}, {"ml": 4, "medical": 1}, 10) == {"ml": 8, "medical": 2}
    # 7.5 and 2.5: equal remainders, the extra goal goes to the first domain by name.
    assert mixture_counts({"ml": 100, "medical": 100}, {"ml": 3, "medical": 1}, 10) == {"ml": 7, "medical": 3}
    # Largest remainder: 10 * (1/3) = 3.33 each; one extra goes to the first by name on a tie.
    assert mixture_counts({"a": 9, "b": 9, "c": 9}, {"a": 1, "b": 1, "c": 1}, 10) == {"a": 4, "b": 3, "c": 3}
    # No total: as many as the scarcest domain allows.
    assert mixture_counts({"ml": 10, "medical": 3}, {"ml": 1, "medical": 1}) == {"ml": 3, "medical": 3}
    with pytest.raises(SciplanError, match="medical needs 5, has 3"):
        mixture_counts({"ml": 10, "medical": 3}, {"ml": 1, "medical": 1}, 10)
    with pytest.raises(SciplanError, match="no goals of domain"):
        mixture_counts({"ml": 10}, {"physics": 1})


def test_mix_domains_samples_by_ratio():
    goals = [g(f"m{i}", domain="ml") for i in range(20)] + [g(f"d{i}", domain="medical") for i in range(5)]
    mixed = mix_domains(goals, {"ml": 0.5, "medical": 0.5}, 8, seed=1)
    assert Counter(x.domain for x in mixed) == {"ml": 4, "medical": 4} and len({x.id for x in mixed}) == 8
    assert mix_domains(goals, {"ml": 0.5, "medical": 0.5}, 8, seed=1) == mixed
    big = mix_domains(goals, {"medical": 1}, 12, seed=0, replace=True)
    assert len(big) == 12 and {x.domain for x in big} == {"medical"}
