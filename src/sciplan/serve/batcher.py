"""`GroupBatcher`: completions of one goal that arrive close together are graded as one group.

Callers (HTTP requests of the reward service, verl's per-sample `compute_score` calls)
each bring a few completions of one goal. Those arriving within `window` seconds join
one `RubricReward.score` call, so the grader sees the goal's plans together and its
prefix cache serves the shared prompt; one semaphore caps the groups graded at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sciplan.errors import SciplanError
from sciplan.grade import RewardParts, RubricReward
from sciplan.records import Goal, make_id

__all__ = ["GroupBatcher", "OverloadedError", "goal_key"]


class OverloadedError(SciplanError):
    """More completions are waiting than the service accepts; the caller should retry later."""


def goal_key(goal: Goal) -> str:
    """Completions join a group only when goal id, text and rubric all match."""
    return _key(goal.id, goal.text, tuple(goal.rubric))


@lru_cache(maxsize=4096)
def _key(goal_id: str, text: str, rubric: tuple[str, ...]) -> str:
    # Hashed once per goal, not once per request (the service's hot path).
    return make_id(goal_id, text, *rubric)


@dataclass
class _Group:
    goal: Goal
    future: asyncio.Future[list[RewardParts]]
    completions: list[Any] = field(default_factory=list)


def _consume(fut: asyncio.Future[Any]) -> None:
    # A group whose every waiter hit its deadline still finishes (and fills the cache);
    # reading its exception here keeps asyncio from reporting it as never retrieved.
    if not fut.cancelled():
        fut.exception()


class GroupBatcher:
    """Coalesces completions per goal over a short window and grades each group once."""

    def __init__(self, reward: RubricReward, *, window: float = 0.02, max_concurrency: int = 64,
                 max_queue: int = 4096) -> None:
        self.reward = reward
        self.window = window
        self.max_concurrency = max_concurrency
        self.max_queue = max_queue
        self.queued = 0
        self.groups_graded = 0
        self._open: dict[str, _Group] = {}
        self._sem: asyncio.Semaphore | None = None

    async def score(self, goal: Goal, completions: Sequence[Any]) -> list[RewardParts]:
        """The reward components of `completions` (all for `goal`), in order."""
        mine, _ = await self.score_in_group(goal, completions)
        return mine

    async def score_in_group(self, goal: Goal, completions: Sequence[Any]) -> tuple[list[RewardParts], list[RewardParts]]:
        """`completions`' components, and those of the whole group they were graded in."""
        n = len(completions)
        if n == 0:
            return [], []
        if self.queued + n > self.max_queue:
            raise OverloadedError(f"{self.queued} completions already waiting (max_queue {self.max_queue}); retry later")
        key = goal_key(goal)
        group = self._open.get(key)
        if group is None:
            group = _Group(goal, asyncio.get_running_loop().create_future())
            group.future.add_done_callback(_consume)
            self._open[key] = group
            asyncio.get_running_loop().call_later(self.window, self._close, key, group)
        start = len(group.completions)
        group.completions.extend(completions)
        self.queued += n
        parts = await asyncio.shield(group.future)
        return parts[start:start + n], parts

    def _close(self, key: str, group: _Group) -> None:
        if self._open.get(key) is group:
            del self._open[key]
        asyncio.get_running_loop().create_task(self._grade(group))

    async def _grade(self, group: _Group) -> None:
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.max_concurrency)
        n = len(group.completions)
        try:
            async with self._sem:
                parts = await self.reward.score([group.goal] * n, group.completions)
            self.groups_graded += 1
            group.future.set_result(parts)
        except Exception as exc:  # every waiter of the group gets the same error
            group.future.set_exception(exc)
        finally:
            self.queued -= n
