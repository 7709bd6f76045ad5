"""Goals in, training data out: held-out split, domain mixture, and the HF `Dataset` GRPO reads."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sciplan.data import data_path, read_goals
from sciplan.errors import SciplanError
from sciplan.plan import PlanConfig, plan_messages
from sciplan.records import Goal
from sciplan.train.config import GoalData

__all__ = ["GoalSplit", "TRAIN_GOALS_FILE", "load_goals", "split_goals", "mixture_order", "grpo_dataset", "sft_dataset"]

# Goals shipped for the training demo (written for the project; `split` marks the held-out ones).
TRAIN_GOALS_FILE = "train_goals.jsonl"
_HELD_OUT = {"test", "validation", "val", "dev"}


@dataclass(frozen=True)
class GoalSplit:
    """Goals to train on and held-out goals to validate on (disjoint by id)."""

    train: list[Goal]
    validation: list[Goal]


def load_goals(paths: Sequence[Path]) -> list[Goal]:
    """Every valid `Goal` in the JSONL files (`sciplan.data.read_goals` on each)."""
    return [g for p in paths for g in read_goals(p)]


def split_goals(data: GoalData) -> GoalSplit:
    """The train and held-out goals a config names; goals without a rubric are dropped (nothing to grade)."""
    shipped = not data.train
    pool = load_goals(data.train or [data_path(TRAIN_GOALS_FILE)])
    pool = [g for g in pool if g.rubric]
    if data.validation:
        held = [g for g in load_goals(data.validation) if g.rubric]
        train = [g for g in pool if (g.split or "train") not in _HELD_OUT]
    else:
        held = [g for g in pool if (g.split or "") in _HELD_OUT]
        train = [g for g in pool if (g.split or "") not in _HELD_OUT]
        if not held and data.validation_size and len(train) > data.validation_size:
            # No marked split: hold out a seeded random few, so every domain can be drawn.
            rng = random.Random(data.seed)
            picked = set(rng.sample(range(len(train)), data.validation_size))
            held = [g for i, g in enumerate(train) if i in picked]
            train = [g for i, g in enumerate(train) if i not in picked]
    held_ids = {g.id for g in held}
    train = [g for g in train if g.id not in held_ids]
    if data.max_goals is not None:
        train = train[: data.max_goals]
    if not train:
        where = "the shipped goals" if shipped else ", ".join(str(p) for p in data.train)
        raise SciplanError(f"no training goals with a rubric in {where}")
    return GoalSplit(train, held)


def mixture_order(goals: Sequence[Goal], n: int, mixture: dict[str, float], seed: int = 0) -> list[Goal]:
    """`n` goals drawn so that domains follow the `mixture` weights.

    Each draw picks a domain by weight, then the next goal of that domain from a
    shuffled cycle, so every goal of a domain is seen before any repeats. With no
    mixture the goals are cycled in a shuffled order.
    """
    rng = random.Random(seed)
    if not mixture:
        order: list[Goal] = []
        while len(order) < n:
            batch = list(goals)
            rng.shuffle(batch)
            order += batch
        return order[:n]
    by_domain: dict[str, list[Goal]] = {}
    for g in goals:
        by_domain.setdefault(g.domain or "unknown", []).append(g)
    weights = {d: w for d, w in mixture.items() if w > 0}
    missing = sorted(d for d in weights if d not in by_domain)
    if missing:
        have = ", ".join(sorted(by_domain)) or "none"
        raise SciplanError(f"domain mixture names {', '.join(missing)} but the goals have no such domain (have: {have})")
    domains = sorted(weights)
    cycles: dict[str, list[Goal]] = {d: [] for d in domains}
    out = []
    for _ in range(n):
        d = rng.choices(domains, weights=[weights[x] for x in domains])[0]
        if not cycles[d]:
            cycles[d] = list(by_domain[d])
            rng.shuffle(cycles[d])
        out.append(cycles[d].pop())
    return out


def _row(goal: Goal, plan: PlanConfig) -> dict[str, Any]:
    # `prompt` is what the policy sees; `goal_id` is how the reward finds the rubric, which
    # stays privileged: it never enters the prompt.
    return {"prompt": plan_messages(goal.text, plan), "goal_id": goal.id, "domain": goal.domain or "unknown"}


def grpo_dataset(goals: Sequence[Goal], plan: PlanConfig) -> Any:
    """A `datasets.Dataset` with conversational `prompt`, `goal_id` and `domain`, in the given order."""
    from datasets import Dataset

    return Dataset.from_list([_row(g, plan) for g in goals])


def sft_dataset(goals: Sequence[Goal], plan: PlanConfig) -> Any:
    """Prompt/completion pairs: the plan prompt and the goal's reference solution as the answer."""
    from datasets import Dataset

    rows = [
        {"prompt": plan_messages(g.text, plan), "completion": [{"role": "assistant", "content": g.reference}]}
        for g in goals
        if g.reference and g.reference.strip()
    ]
    if not rows:
        raise SciplanError("SFT baseline: none of the training goals has a reference solution")
    return Dataset.from_list(rows)
