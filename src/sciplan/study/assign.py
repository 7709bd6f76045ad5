"""Balanced assignment of goals to annotators, with a blinded left/right order per assignment."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sciplan.errors import SciplanError

__all__ = ["Assignment", "assign"]


@dataclass(frozen=True)
class Assignment:
    """One goal for one annotator: where it sits in their queue and which arm is shown left."""

    annotator: int
    goal_id: str
    position: int
    left_arm: str


def assign(goal_ids: list[str], annotators: int, per_goal: int, seed: int = 0) -> list[Assignment]:
    """Give each goal to `per_goal` distinct annotators so that workloads differ by at most one.

    Also balanced: each annotator sees arm `a` on the left in half their assignments (±1),
    and each annotator's queue is in its own random order, so order effects average out.
    """
    if len(set(goal_ids)) != len(goal_ids):
        raise SciplanError("goal ids are not unique")
    if not 1 <= per_goal <= annotators:
        raise SciplanError(f"per_goal={per_goal} must be between 1 and the number of annotators ({annotators})")
    rng = random.Random(seed)
    load = [0] * annotators
    queues: list[list[str]] = [[] for _ in range(annotators)]
    order = list(goal_ids)
    rng.shuffle(order)
    for goal_id in order:
        # Greedy on the least loaded keeps loads within one of each other: with loads in
        # {m, m+1}, the K picked are all at m first, so no one reaches m+2 while another is at m.
        priority = rng.sample(range(annotators), annotators)
        chosen = sorted(range(annotators), key=lambda j: (load[j], priority[j]))[:per_goal]
        for j in chosen:
            load[j] += 1
            queues[j].append(goal_id)

    out: list[Assignment] = []
    for j, queue in enumerate(queues):
        rng.shuffle(queue)
        # A shuffled half/half deck of sides: balanced within one, unpredictable per item.
        sides = ["a", "b"] * (len(queue) // 2) + ([rng.choice("ab")] if len(queue) % 2 else [])
        rng.shuffle(sides)
        out += [Assignment(j, g, pos, side) for pos, (g, side) in enumerate(zip(queue, sides, strict=False))]
    return out
