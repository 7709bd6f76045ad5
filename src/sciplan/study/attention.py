"""Attention items: pairs where one plan visibly breaks the goal, to check annotators read the plans.

An attention item copies a real goal and its plan from one arm; the other side is the
same plan with a paragraph (`StudyConfig.attention_text`) that openly breaks the goal's
stated constraints. An attentive annotator prefers the clean plan. Every annotator gets
every attention item at a random place in their queue; the analysis leaves these items
out of every statistic and reports each annotator's pass rate on them.
"""

from __future__ import annotations

import random

from sciplan.records import Goal, Plan, make_id
from sciplan.study.assign import Assignment

__all__ = ["ATTENTION_KEY", "attention_pairs", "with_attention"]

# The goal record's meta key holding the arm an attentive annotator prefers.
ATTENTION_KEY = "attention"


def attention_pairs(
    pairs: list[tuple[Goal, Plan, Plan]], n: int, text: str, seed: int = 0
) -> list[tuple[Goal, Plan, Plan]]:
    """`n` attention items built from `pairs` (seeded choice of goals, arms and which side is broken)."""
    if n <= 0 or not pairs:
        return []
    rng = random.Random(f"attention:{seed}")
    chosen = rng.sample(pairs, min(n, len(pairs)))
    out = []
    for k, (goal, plan_a, plan_b) in enumerate(chosen):
        base = rng.choice((plan_a, plan_b))
        good_arm = rng.choice("ab")
        gid = f"attention-{k + 1}-{make_id('attention', goal.id, seed, length=8)}"
        copy = goal.model_copy(update={"id": gid, "meta": {**goal.meta, ATTENTION_KEY: good_arm}})
        # The broken plan: the same text with the violating paragraph in the middle, where
        # only a reader (not a skimmer of the first lines) finds it.
        paras = base.text.split("\n\n")
        cut = max(1, len(paras) // 2)
        broken_text = "\n\n".join([*paras[:cut], text.strip(), *paras[cut:]])
        good = base.model_copy(update={"id": make_id("attention-plan", gid, "good"), "goal_id": gid})
        bad = base.model_copy(update={"id": make_id("attention-plan", gid, "bad"), "goal_id": gid, "text": broken_text})
        out.append((copy, good, bad) if good_arm == "a" else (copy, bad, good))
    return out


def with_attention(
    assignments: list[Assignment], annotators: int, goal_ids: list[str], seed: int = 0
) -> list[Assignment]:
    """`assignments` with every attention goal added to every annotator's queue at random places."""
    if not goal_ids:
        return assignments
    rng = random.Random(f"attention-queue:{seed}")
    queues: list[list[tuple[str, str]]] = [[] for _ in range(annotators)]
    for a in sorted(assignments, key=lambda a: (a.annotator, a.position)):
        queues[a.annotator].append((a.goal_id, a.left_arm))
    out: list[Assignment] = []
    for j, queue in enumerate(queues):
        for gid in goal_ids:
            queue.insert(rng.randint(0, len(queue)), (gid, rng.choice("ab")))
        out += [Assignment(j, gid, pos, side) for pos, (gid, side) in enumerate(queue)]
    return out
