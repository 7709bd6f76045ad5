"""verifiers: a single-turn environment whose rubric is sciplan's grader.

    env = load_environment(goals="goals.jsonl", grader="openai:Qwen/Qwen3-30B-A3B@http://grader:8000/v1")
    vf-eval sciplan-research-plans -m MODEL -b http://127.0.0.1:8000/v1 -k KEY_VAR   # the installed package

Each rollout's plan is graded in one grader call covering every rubric item. The reward
is sciplan's (score − format penalty); `rubric_score`, `format_penalty` and
`grade_failed` are logged beside it as zero-weight metrics. A failed grade rewards 0 and
shows as `grade_failed` = 1, never unmarked. The goal and rubric ride in each row's
`info`, never in the prompt. Built on the classic verifiers API (0.3.x, `verifiers.legacy`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sciplan.integrations.goals import read_goals
from sciplan.integrations.rubric import RubricScorer
from sciplan.llm import DEFAULT_MODEL
from sciplan.plan import PlanConfig, plan_messages
from sciplan.records import Goal

__all__ = ["load_environment", "goal_rows"]

log = logging.getLogger(__name__)

_STATE_KEY = "sciplan_reward"


def goal_rows(goals: list[Goal], plan: PlanConfig) -> list[dict[str, Any]]:
    """Dataset rows: the plan prompt as chat messages; goal and rubric only in `info`."""
    return [{"prompt": plan_messages(g.text, plan), "answer": g.reference or "",
             "info": json.dumps({"goal_id": g.id, "goal": g.text, "rubric": list(g.rubric), "domain": g.domain})}
            for g in goals]


def _goal(info: Any) -> Goal:
    data = json.loads(info) if isinstance(info, str) else dict(info)
    return Goal(id=str(data["goal_id"]), text=data["goal"], rubric=list(data["rubric"]), domain=data.get("domain"))


def load_environment(goals: str = "", grader: str = DEFAULT_MODEL, config: str | None = None, limit: int | None = None,
                     max_words: int = 750, think: bool = False, **kwargs: Any) -> Any:
    """A verifiers `SingleTurnEnv` over goals (Goal JSONL or research-plan-gen parquet), rewarded by sciplan's grader."""
    import verifiers as vf
    from datasets import Dataset

    if not goals:
        from sciplan.data import data_path

        goals = str(data_path("demo_goals.jsonl"))
    scorer = RubricScorer(grader, config)
    rows = goal_rows(read_goals(goals, limit=limit), PlanConfig(think=think, max_words=max_words))

    async def rubric_reward(completion: Any, info: Any, state: dict[str, Any]) -> float:
        """sciplan's reward for this plan: rubric score − format penalty (one grader call, all items)."""
        part = await scorer.score(_goal(info), completion)
        state[_STATE_KEY] = part.as_dict()
        if part.failed:
            log.warning("grade failed for goal %s: %s", _goal(info).id, part.grade.error if part.grade else "no grader")
        return float(part.reward) if part.reward is not None else 0.0

    def rubric_score(state: dict[str, Any]) -> float:
        """The fraction of rubric items satisfied (-1 for a failed grade)."""
        score = state.get(_STATE_KEY, {}).get("score")
        return float(score) if score is not None else -1.0

    def format_penalty(state: dict[str, Any]) -> float:
        """The format penalty taken from the score."""
        return float(state.get(_STATE_KEY, {}).get("penalty", 0.0))

    def grade_failed(state: dict[str, Any]) -> float:
        """1 when the grade failed (its reward is 0 and marked here)."""
        return float(bool(state.get(_STATE_KEY, {}).get("failed", True)))

    rubric = vf.Rubric(funcs=[rubric_reward, rubric_score, format_penalty, grade_failed], weights=[1.0, 0.0, 0.0, 0.0])
    data = Dataset.from_list(rows)
    return vf.SingleTurnEnv(dataset=data, eval_dataset=data, rubric=rubric, **kwargs)
