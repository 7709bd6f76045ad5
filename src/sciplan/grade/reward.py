"""The reward: grader score minus a format penalty, ready for TRL's `GRPOTrainer`.

    reward = RubricReward(Grader("openai:Qwen/Qwen3-30B-A3B@http://grader:8000/v1"),
                          goals={g.id: g for g in goals}, config=RewardConfig(max_plan_length=750))
    GRPOTrainer(..., reward_funcs=[reward])

Contract (TRL 1.16): `await reward(prompts, completions, **columns)` returns one float
or None per completion, in order. Completions are strings, or chat messages (the last
assistant message is read, with its `reasoning_content` if any). Each row names its goal
by a `goal_id` column looked up in `goals`, or carries `goal` and `rubric` columns
(names are settable). Thinking (`<think>…</think>` or a reasoning field) is split off
and never graded or limited; only the plan after it is. `None` means the grade failed
and `on_failed: skip` is set: TRL turns it into NaN and leaves that completion out of
the group's normalisation. Every component of the last batch is in `reward.last`
(`RewardParts`), and when TRL passes `log_metric`/`log_extra` they are logged too.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from sciplan.errors import SciplanError
from sciplan.grade.config import RewardConfig
from sciplan.grade.grader import GradeFailedError, Grader
from sciplan.llm import ThinkingSplit, split_thinking
from sciplan.records import Goal, Grade, Plan, make_id

__all__ = ["FormatCheck", "RewardParts", "RubricReward", "check_format", "split_completion", "plan_length", "combine",
           "reward_plan"]

_WORD = re.compile(r"\S+")


def split_completion(completion: str | Sequence[Mapping[str, Any]] | Mapping[str, Any],
                     reasoning: str | None = None) -> ThinkingSplit:
    """Thinking and plan of a completion: text, one chat message, or a list of messages."""
    if isinstance(completion, Mapping):
        completion = [completion]
    if not isinstance(completion, str):
        msgs = [m for m in completion if m.get("role", "assistant") == "assistant"]
        last = msgs[-1] if msgs else {}
        reasoning = reasoning or last.get("reasoning_content") or last.get("reasoning") or last.get("thinking")
        completion = last.get("content") or ""
    return split_thinking(completion, reasoning)


def plan_length(text: str, unit: str, count_tokens: Callable[[str], int] | None = None) -> int:
    """The plan's length in words or (with a tokenizer's counter) tokens."""
    if unit == "words":
        return len(_WORD.findall(text))
    if count_tokens is None:
        raise SciplanError("reward length_unit 'tokens' needs a token counter (the policy's tokenizer); or use 'words'")
    return int(count_tokens(text))


@dataclass(frozen=True)
class FormatCheck:
    """The format half of the reward: the split, the length, and the penalty."""

    plan: str
    thinking: str | None
    length: int
    missing_plan: bool
    over_limit: bool
    unterminated: bool
    penalty: float

    @property
    def gradeable(self) -> bool:
        return not self.missing_plan


def check_format(
    split: ThinkingSplit, config: RewardConfig, count_tokens: Callable[[str], int] | None = None
) -> FormatCheck:
    """Penalties for a missing plan, a plan over the limit, unterminated thinking."""
    plan = split.answer.strip()
    length = plan_length(plan, config.length_unit, count_tokens) if plan else 0
    missing = not plan
    over = config.max_plan_length is not None and length > config.max_plan_length
    penalty = (
        config.missing_plan_penalty * missing
        + config.over_limit_penalty * over
        + config.unterminated_thinking_penalty * split.unterminated
    )
    return FormatCheck(plan, split.thinking, length, missing, over, split.unterminated, min(penalty, config.max_penalty))


@dataclass
class RewardParts:
    """Every component of one completion's reward, for logging."""

    reward: float | None
    score: float | None
    penalty: float
    format: FormatCheck
    grade: Grade | None = None
    failed: bool = False
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Flat, JSON-friendly components (no texts)."""
        f = self.format
        return {
            "reward": self.reward, "score": self.score, "penalty": self.penalty, "failed": self.failed,
            "flags": self.flags, "length": f.length, "missing_plan": f.missing_plan, "over_limit": f.over_limit,
            "unterminated": f.unterminated, "thinking_chars": len(f.thinking or ""),
        }


def combine(check: FormatCheck, grade: Grade | None, config: RewardConfig) -> RewardParts:
    """score − penalty, with the failed-grade policy applied."""
    flags = list(grade.flags) if grade is not None else []
    penalty = check.penalty
    if "injection" in flags and config.injection_penalty:
        penalty = min(config.max_penalty, penalty + config.injection_penalty)
    if grade is None:  # nothing graded: no plan, or over the limit with grading off
        return RewardParts(0.0 - penalty, 0.0, penalty, check)
    if grade.failed or grade.score is None:
        if config.on_failed == "raise":
            raise GradeFailedError(f"grade of plan {grade.plan_id} by {grade.grader} failed: {grade.error}")
        reward = None if config.on_failed == "skip" else 0.0 - penalty
        return RewardParts(reward, None, penalty, check, grade, failed=True, flags=flags)
    return RewardParts(grade.score - penalty, grade.score, penalty, check, grade, flags=flags)


def reward_plan(plan: Plan, grade: Grade, config: RewardConfig) -> Grade:
    """`grade` with `penalty` and `reward` filled in from a `Plan` record's format."""
    text = plan.text.strip()
    # A `Plan` keeps only `format_ok`: with text present, a bad format can only be
    # unterminated thinking; without text, it is when generation was cut (`length`).
    unterminated = bool(plan.meta.get("thinking_unterminated")) or (
        not plan.format_ok and (bool(text) or plan.finish_reason == "length")
    )
    split = ThinkingSplit(plan.thinking, text, unterminated)
    parts = combine(check_format(split, config), grade, config)
    return grade.model_copy(update={"penalty": parts.penalty, "reward": parts.reward})


class RubricReward:
    """An async reward function for TRL: grades each completion's plan against its goal."""

    def __init__(
        self,
        grader: Grader,
        goals: Mapping[str, Goal] | None = None,
        config: RewardConfig | None = None,
        *,
        count_tokens: Callable[[str], int] | None = None,
        id_column: str = "goal_id",
        goal_column: str = "goal",
        rubric_column: str = "rubric",
    ) -> None:
        self.grader = grader
        self.goals = dict(goals or {})
        self.config = config or RewardConfig()
        if self.config.length_unit == "tokens" and count_tokens is None:
            raise SciplanError("RubricReward: length_unit 'tokens' needs count_tokens (e.g. the policy tokenizer)")
        self.count_tokens = count_tokens
        self.columns = (id_column, goal_column, rubric_column)
        self.last: list[RewardParts] = []
        self.__name__ = "rubric_reward"  # TRL names the reward column after it

    def _goal(self, row: int, columns: Mapping[str, Any]) -> Goal:
        id_col, goal_col, rubric_col = self.columns
        gid = columns[id_col][row] if id_col in columns else None
        if gid is not None and str(gid) in self.goals:
            return self.goals[str(gid)]
        if goal_col in columns and rubric_col in columns:
            text, rubric = columns[goal_col][row], columns[rubric_col][row]
            return Goal(id=str(gid) if gid is not None else make_id("goal", text), text=text, rubric=rubric)
        raise SciplanError(
            f"RubricReward: row {row} has no goal: give a '{id_col}' column known to `goals`, "
            f"or '{goal_col}' and '{rubric_col}' columns"
        )

    async def score(self, goals: Sequence[Goal], completions: Sequence[Any]) -> list[RewardParts]:
        """The reward components of each (goal, completion), grading each goal's plans as a group."""
        checks = [check_format(split_completion(c), self.config, self.count_tokens) for c in completions]
        groups: dict[str, list[int]] = {}
        for i, (goal, check) in enumerate(zip(goals, checks, strict=False)):
            if check.gradeable and (self.config.grade_over_limit or not check.over_limit):
                groups.setdefault(goal.id, []).append(i)
        grades: dict[int, Grade] = {}

        async def grade_group(rows: list[int]) -> None:
            goal = goals[rows[0]]
            texts = [checks[i].plan for i in rows]
            ids = [make_id("completion", goal.id, i, t) for i, t in zip(rows, texts, strict=False)]
            plans = [Plan(id=pid, goal_id=goal.id, model="policy", text=t) for pid, t in zip(ids, texts, strict=False)]
            for i, g in zip(rows, await self.grader.grade_group(goal, plans), strict=False):
                grades[i] = g

        await asyncio.gather(*(grade_group(rows) for rows in groups.values()))
        return [combine(check, grades.get(i), self.config) for i, check in enumerate(checks)]

    async def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        """One reward per completion (None: failed grade, skipped)."""
        goals = [self._goal(i, kwargs) for i in range(len(completions))]
        parts = await self.score(goals, completions)
        self.last = parts
        self.log_parts(parts, kwargs.get("log_metric"), kwargs.get("log_extra"))
        return [p.reward for p in parts]

    def log_parts(self, parts: list[RewardParts], log_metric: Any, log_extra: Any) -> None:
        """Log components through TRL's `log_metric`/`log_extra` callbacks (when given)."""
        if callable(log_extra):
            log_extra("rubric_score", [p.score for p in parts])
            log_extra("format_penalty", [p.penalty for p in parts])
        if not callable(log_metric) or not parts:
            return
        log_metric("rubric/failed", fmean(p.failed for p in parts))
        log_metric("rubric/over_limit", fmean(p.format.over_limit for p in parts))
        log_metric("rubric/missing_plan", fmean(p.format.missing_plan for p in parts))
        log_metric("rubric/injection", fmean("injection" in p.flags for p in parts))
        log_metric("rubric/plan_length", fmean(p.format.length for p in parts))
        items = [it for p in parts if p.grade is not None and not p.failed for it in p.grade.items]
        if items:
            for gid in self.grader.guidelines.ids:
                log_metric(f"rubric/violated/{gid}", fmean(gid in it.violations for it in items))
