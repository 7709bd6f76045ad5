"""Balanced assignment: K distinct annotators per goal, loads within one, sides balanced."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from sciplan.errors import SciplanError
from sciplan.study import assign


@pytest.mark.parametrize("goals, annotators, per_goal", [(100, 7, 3), (10, 4, 1), (5, 5, 5), (1, 3, 2), (37, 6, 4)])
def test_each_goal_gets_k_distinct_annotators_and_loads_differ_by_at_most_one(goals, annotators, per_goal):
    ids = [f"g{i}" for i in range(goals)]
    out = assign(ids, annotators, per_goal, seed=1)
    per = defaultdict(list)
    for a in out:
        per[a.goal_id].append(a.annotator)
    assert sorted(per) == sorted(ids)
    assert all(len(v) == per_goal and len(set(v)) == per_goal for v in per.values())
    load = Counter(a.annotator for a in out)
    loads = [load.get(j, 0) for j in range(annotators)]
    assert sum(loads) == goals * per_goal and max(loads) - min(loads) <= 1
    for j in range(annotators):  # positions form each annotator's queue 0..n-1
        assert sorted(a.position for a in out if a.annotator == j) == list(range(loads[j]))


def test_sides_are_balanced_per_annotator_and_not_all_the_same():
    out = assign([f"g{i}" for i in range(41)], 4, 2, seed=3)
    for j in range(4):
        sides = Counter(a.left_arm for a in out if a.annotator == j)
        assert abs(sides["a"] - sides["b"]) <= 1
    assert len({a.left_arm for a in out}) == 2


def test_the_same_seed_gives_the_same_assignment_and_another_seed_another():
    ids = [f"g{i}" for i in range(30)]
    assert assign(ids, 5, 2, seed=7) == assign(ids, 5, 2, seed=7)
    assert assign(ids, 5, 2, seed=7) != assign(ids, 5, 2, seed=8)


def test_impossible_requests_are_refused():
    with pytest.raises(SciplanError, match="per_goal=4"):
        assign(["g1"], 3, 4)
    with pytest.raises(SciplanError, match="not unique"):
        assign(["g1", "g1"], 3, 1)
