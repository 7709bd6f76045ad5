"""The sciplan reward as TRL calls it each step: grader outages, metrics and monitors around it.

`sciplan.grade.RubricReward` grades; this wrapper decides what a step does when the
grader cannot be reached at all, and turns each step's reward components into logged
metrics and reward-hacking checks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sciplan.errors import SciplanError
from sciplan.grade import Grader, RewardParts, RubricReward, check_format, split_completion
from sciplan.grade.listwise import ListwiseGrader
from sciplan.llm import UnreachableError, get_model
from sciplan.records import Goal
from sciplan.train.config import GraderSettings, TrainConfig
from sciplan.train.metrics import MetricsLogger, step_metrics
from sciplan.train.monitors import Alert, HackingMonitor, rubric_keyword_overlap
from sciplan.train.policy import frozen_grader_spec
from sciplan.train.ranks import Rows, on_main_process, row_columns
from sciplan.train.shaping import RewardShaping

__all__ = ["StepReward", "make_reward", "outage_parts", "OUTAGE_ERRORS"]

log = logging.getLogger(__name__)

# Errors that mean "no grader at all right now", as opposed to one bad answer. A missing
# library, model file or key is not an outage: the grader's check_ready reports it at start.
OUTAGE_ERRORS = (UnreachableError,)


def make_reward(config: TrainConfig, goals: list[Goal], tokenizer: Any = None, *, model: str | None = None,
                settings: Any = None) -> RubricReward:
    """The sciplan reward with the configured grader (a frozen copy of the policy by default)."""
    spec = model or frozen_grader_spec(config.grader.model, config.policy.model)
    llm = get_model(spec, settings or config.grader.settings)
    llm.check_ready()  # a missing key or model file is one clear error now, not a failed step later
    grader: Any = Grader(llm, config.grader.grader, stage_name="train")
    if model is None and config.grader.listwise is not None:  # the training grader only, never the judge
        grader = ListwiseGrader(llm, config.grader.listwise, stage_name="train")
    count = None
    if config.grader.reward.length_unit == "tokens":
        if tokenizer is None:
            raise SciplanError("reward length_unit 'tokens' needs the policy's tokenizer")

        def count(text: str) -> int:
            return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return RubricReward(grader, {g.id: g for g in goals}, config.grader.reward, count_tokens=count)


def outage_parts(reward: RubricReward, completions: Sequence[Any], error: str) -> list[RewardParts]:
    """Failed components for every completion of a step whose grader was unreachable."""
    parts = []
    for c in completions:
        check = check_format(split_completion(c), reward.config, reward.count_tokens)
        parts.append(RewardParts(None, None, check.penalty, check, None, failed=True, flags=["grader_unreachable"]))
    log.warning("grader unreachable; %d completions recorded as failed grades (%s)", len(parts), error)
    return parts


class StepReward:
    """Async TRL reward function: grades a step, survives grader outages, logs and monitors it."""

    def __init__(
        self,
        reward: RubricReward,
        goals: Mapping[str, Goal],
        settings: GraderSettings,
        *,
        metrics: MetricsLogger | None = None,
        monitor: HackingMonitor | None = None,
        shaping: RewardShaping | None = None,
    ) -> None:
        self.reward = reward
        self.shaping = shaping
        self.goals = dict(goals)
        self.settings = settings
        self.metrics = metrics
        self.monitor = monitor
        self.last: list[RewardParts] = []
        self.history: list[dict[str, float]] = []
        self.alerts: list[Alert] = []
        self.__name__ = "rubric_reward"  # TRL names its reward column after this

    async def grade(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> tuple[list[RewardParts], float]:
        """The step's components and the seconds grading took, retrying through an outage."""
        s = self.settings
        start = time.perf_counter()
        for attempt in range(s.outage_retries + 1):
            try:
                await self.reward(prompts, completions, **kwargs)
                return list(self.reward.last), time.perf_counter() - start
            except OUTAGE_ERRORS as exc:
                if attempt < s.outage_retries:
                    log.warning("grader %s unreachable (%s); retrying the step's grading in %.0fs (%d/%d)",
                                self.reward.grader.name, exc, s.outage_wait, attempt + 1, s.outage_retries)
                    await asyncio.sleep(s.outage_wait)
                    continue
                if s.on_outage == "stop":
                    raise SciplanError(f"grader {self.reward.grader.name} unreachable after "
                                       f"{s.outage_retries + 1} tries: {exc}") from exc
                return outage_parts(self.reward, completions, str(exc)), time.perf_counter() - start
        raise AssertionError("unreachable")  # the loop always returns or raises

    async def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        """One reward per completion; None for a failed grade (TRL leaves it out).

        In a multi-process run the main process grades every process's completions, so a
        goal's group is graded together even when TRL split it over processes.
        """
        state = kwargs.get("trainer_state")
        # TRL computes rewards inside the step it is about to take.
        step = (state.global_step + 1) if state is not None else len(self.history) + 1
        rows: Rows = (list(prompts), list(completions), row_columns(kwargs, len(completions)))
        parts = await on_main_process(lambda everyone: self.grade_step(step, everyone), rows)
        self.last = parts
        # TRL's completion table and step metrics are per process: each logs its own rows.
        self.reward.log_parts(parts, kwargs.get("log_metric"), kwargs.get("log_extra"))
        return [p.reward for p in parts]

    async def grade_step(self, step: int, rows: Rows) -> list[RewardParts]:
        """Grade one step's rows (all processes' on the main one), shape, log and monitor them."""
        prompts, completions, columns = rows
        parts, seconds = await self.grade(prompts, completions, **columns)
        goal_ids = [str(g) for g in columns.get("goal_id") or []]
        extra: dict[str, float] = {}
        if goal_ids:
            # Plans per graded group: num_generations when groups stay whole across processes.
            extra["grading/plans_per_goal"] = len(goal_ids) / len(set(goal_ids))
        if self.shaping is not None and len(goal_ids) == len(parts):
            parts, extra_shaping = self.shaping.apply(parts, goal_ids)
            extra.update(extra_shaping)
            extra.update(await self.shaping.after_step(step, parts, goal_ids))
        self.observe(step, parts, goal_ids, completions, seconds, extra)
        return parts

    def observe(self, step: int, parts: Sequence[RewardParts], goal_ids: Sequence[str], completions: Sequence[Any],
                seconds: float, extra: Mapping[str, float] | None = None) -> dict[str, float]:
        """Metrics and monitor values for one step's components (`extra`: reward shaping's own)."""
        scalars = step_metrics(parts, self.reward.grader.guidelines.ids)
        scalars["time/grading_seconds"] = seconds
        scalars.update(extra or {})
        if self.monitor is not None:
            overlaps = []
            for gid, p in zip(goal_ids, parts, strict=False):
                goal = self.goals.get(str(gid))
                if goal is not None:
                    overlaps.append(rubric_keyword_overlap(p.format.plan, goal.rubric, goal.text))
            values, alerts = self.monitor.observe_step(
                step, [p.format.length for p in parts], overlaps, ["injection" in p.flags for p in parts],
                scores=[p.score for p in parts],
            )
            scalars.update({f"monitor/{k}": v for k, v in values.items()})
            self.alerts += alerts
            if self.metrics is not None:
                for a in alerts:
                    self.metrics.text(step, f"alerts/{a.monitor}", a.message)
        self.history.append({"step": float(step), **scalars})
        if self.metrics is not None:
            self.metrics.log(step, scalars, prefix="train")
        return scalars
