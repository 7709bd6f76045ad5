"""`RewardService`: the grader behind the HTTP API, independent of the web framework.

Stateless between requests apart from counters: the goals it was started with are read
only, repeats are answered by the grader model's on-disk response cache, so several
replicas behind any load balancer scale it out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping, Sequence
from statistics import fmean
from typing import Any

from sciplan.errors import SciplanError
from sciplan.grade import Grader, RewardConfig, RewardParts, RubricReward
from sciplan.records import Goal, make_id
from sciplan.serve.batcher import GroupBatcher, goal_key
from sciplan.serve.config import ServeConfig
from sciplan.serve.metrics import ServiceMetrics
from sciplan.serve.protocol import GoalIn

__all__ = ["RewardService", "UnknownGoalError", "DeadlineError", "InputTooLargeError"]


class UnknownGoalError(SciplanError):
    """A request named a goal id the service was not started with."""


class DeadlineError(SciplanError):
    """Grading did not finish within the request deadline."""


class InputTooLargeError(SciplanError):
    """A completion or request over the configured bounds."""


class RewardService:
    """Grades completions for goals: grouping, a global cap, a deadline, and counters."""

    def __init__(self, grader: Grader, goals: Mapping[str, Goal] | Sequence[Goal], config: ServeConfig | None = None,
                 reward: RewardConfig | None = None) -> None:
        self.config = config or ServeConfig()
        self.goals = dict(goals) if isinstance(goals, Mapping) else {g.id: g for g in goals}
        self.reward = RubricReward(grader, self.goals, reward or RewardConfig())
        c = self.config
        self.batcher = GroupBatcher(self.reward, window=c.batch_window, max_concurrency=c.max_concurrency,
                                    max_queue=c.max_queue)
        self.metrics = ServiceMetrics(c.latency_window)

    @property
    def grader(self) -> Grader:
        return self.reward.grader

    def goal_for(self, goal_id: str | None, inline: GoalIn | dict[str, Any] | None = None) -> Goal:
        """The goal a request names: a known id, else the inline goal it carries."""
        if goal_id is not None and str(goal_id) in self.goals:
            return self.goals[str(goal_id)]
        if inline is not None:
            g = inline if isinstance(inline, GoalIn) else GoalIn.model_validate(inline)
            gid = g.id or goal_id or make_id("goal", g.text, *g.rubric)
            return Goal(id=str(gid), text=g.text, rubric=g.rubric, reference=g.reference)
        raise UnknownGoalError(f"unknown goal id {goal_id!r}: the service knows {len(self.goals)} goals; "
                               "send the goal inline ({text, rubric}) instead")

    def check_sizes(self, completions: Sequence[Any]) -> None:
        """Refuse more completions, or longer ones, than configured."""
        c = self.config
        if len(completions) > c.max_completions:
            raise InputTooLargeError(f"{len(completions)} completions in one request (max_completions {c.max_completions})")
        for i, comp in enumerate(completions):
            size = len(comp) if isinstance(comp, str) else len(str(comp))
            if size > c.max_completion_chars:
                raise InputTooLargeError(f"completion {i} has {size} characters (max_completion_chars {c.max_completion_chars})")

    async def grade(self, goals: Sequence[Goal], completions: Sequence[Any], *, fill_failed: bool = False) -> list[RewardParts]:
        """Components for each (goal, completion), grouped per goal, within the deadline.

        `fill_failed`: a failed grade's reward becomes the mean reward of the other plans in its
        group (flag `reward_from_group_mean`), for trainers that cannot leave a sample out.
        """
        self.check_sizes(completions)
        rows: dict[str, list[int]] = {}
        by_key: dict[str, Goal] = {}
        for i, g in enumerate(goals):
            key = goal_key(g)
            rows.setdefault(key, []).append(i)
            by_key[key] = g
        out: list[RewardParts | None] = [None] * len(completions)

        async def one(key: str, idx: list[int]) -> None:
            parts, group = await self.batcher.score_in_group(by_key[key], [completions[i] for i in idx])
            ok = [q.reward for q in group if q.reward is not None]
            for i, p in zip(idx, parts, strict=True):
                if fill_failed and p.reward is None and ok:
                    p = dataclasses.replace(p, reward=fmean(ok), flags=[*p.flags, "reward_from_group_mean"])
                out[i] = p

        try:
            await asyncio.wait_for(asyncio.gather(*(one(k, idx) for k, idx in rows.items())), self.config.deadline)
        except TimeoutError:
            raise DeadlineError(f"grading {len(completions)} completions took longer than the {self.config.deadline:g}s "
                                "deadline; it goes on, and a repeat may be answered from cache") from None
        return [p for p in out if p is not None]

    async def timed(self, endpoint: str, goals: Sequence[Goal], completions: Sequence[Any], *,
                    fill_failed: bool = False) -> list[RewardParts]:
        """`grade`, counted in the metrics under `endpoint`."""
        start = time.perf_counter()
        parts = await self.grade(goals, completions, fill_failed=fill_failed)
        self.metrics.observe(endpoint, time.perf_counter() - start, parts)
        return parts

    def snapshot(self) -> dict[str, Any]:
        """The body of /metrics."""
        model = self.grader.model
        return self.metrics.snapshot(model.ledger, model.name, queued=self.batcher.queued,
                                     groups=self.batcher.groups_graded)
