"""The reward service's wire formats: its JSON API and OpenRLHF's remote reward-model protocol.

    POST /grade       {"goal_id": "g1", "completions": ["plan A", "plan B"]}
                      or {"goal": {"text": ..., "rubric": [...], "reference": ...}, "completions": [...]}
                   -> {"results": [{"reward", "score", "penalty", "failed", "error", "flags", "items"}, ...]}
    POST /get_reward  {"query": [prompt+response, ...], "prompts": [prompt, ...], "labels": [goal, ...]}
                   -> {"rewards": [...], "scores": [...], "extra_logs": {...}}    (OpenRLHF --remote_rm_url)

An OpenRLHF label is a goal id the service knows, the JSON that `sciplan export verl`
puts in `ground_truth` ({"goal_id", "goal", "rubric"}), or that parquet's whole
`reward_model` column (`--data.label_key reward_model`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sciplan.grade import RewardParts

__all__ = ["GoalIn", "GradeRequest", "RewardRequest", "result_json", "response_of", "reward_json"]

# End-of-turn markers OpenRLHF leaves on a decoded query (it decodes with special tokens).
_TRAILING_SPECIAL = re.compile(r"(?:\s*(?:<\|[A-Za-z0-9_]+\|>|</s>|<eos>|<end_of_turn>))+\s*$")


class GoalIn(BaseModel):
    """A goal sent inline, for goals the service was not started with."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    text: str = Field(min_length=1)
    rubric: list[str] = Field(min_length=1)
    reference: str | None = None


class GradeRequest(BaseModel):
    """Body of POST /grade: one goal (by id or inline) and its completions."""

    model_config = ConfigDict(extra="forbid")

    goal_id: str | None = None
    goal: GoalIn | None = None
    # Plain text, or chat messages ({"role", "content"[, "reasoning_content"]}).
    completions: list[str | list[dict[str, Any]] | dict[str, Any]] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_goal(self) -> GradeRequest:
        if self.goal_id is None and self.goal is None:
            raise ValueError("give goal_id (a goal the service knows) or goal {text, rubric}")
        return self


class RewardRequest(BaseModel):
    """Body of POST /get_reward as OpenRLHF's remote reward client sends it."""

    model_config = ConfigDict(extra="ignore")

    query: list[str] = Field(min_length=1)
    prompts: list[str] | None = None
    labels: list[Any] | None = None

    @model_validator(mode="after")
    def _aligned(self) -> RewardRequest:
        for name in ("prompts", "labels"):
            value = getattr(self, name)
            if value is not None and len(value) != len(self.query):
                raise ValueError(f"{name} has {len(value)} entries for {len(self.query)} queries")
        if self.labels is None:
            raise ValueError("labels are needed: each names the goal (--label_key of a goal id or goal JSON)")
        return self


def response_of(query: str, prompt: str | None) -> str:
    """The policy's response inside an OpenRLHF query (prompt + response, special tokens kept)."""
    text = query[len(prompt):] if prompt and query.startswith(prompt) else query
    return _TRAILING_SPECIAL.sub("", text)


def result_json(part: RewardParts) -> dict[str, Any]:
    """One completion's answer: reward components, per-item verdicts, flags."""
    grade = part.grade
    out = part.as_dict()
    out["error"] = grade.error if grade is not None else None
    out["items"] = [
        {"index": it.index, "item": it.item, "satisfied": it.satisfied, "violations": it.violations, "reason": it.reason}
        for it in (grade.items if grade is not None else [])
    ]
    return out


def reward_json(parts: list[RewardParts]) -> dict[str, Any]:
    """OpenRLHF's answer: `rewards` to optimise, `scores` to log, `extra_logs` per sample."""
    # OpenRLHF needs a number for every sample: a failed grade takes its group's mean reward
    # (see RewardService.grade), or 0 when its whole group failed; either way it is marked.
    rewards = [p.reward if p.reward is not None else 0.0 for p in parts]
    return {
        "rewards": rewards,
        "scores": [p.score if p.score is not None else 0.0 for p in parts],
        "extra_logs": {
            "rubric_score": [p.score if p.score is not None else -1.0 for p in parts],
            "format_penalty": [p.penalty for p in parts],
            "grade_failed": [float(p.failed) for p in parts],
            "plan_length": [float(p.format.length) for p in parts],
        },
    }


def parse_label(label: Any) -> tuple[str | None, dict[str, Any] | None]:
    """An OpenRLHF label as (goal id, inline goal JSON): an id, {"goal_id", "goal", "rubric"},
    or a verl row's `reward_model` ({"ground_truth": that JSON})."""
    if isinstance(label, dict) and "ground_truth" in label:
        return parse_label(label["ground_truth"])
    if isinstance(label, dict):
        data = label
    elif isinstance(label, str) and label.lstrip().startswith("{"):
        try:
            data = json.loads(label)
        except json.JSONDecodeError as exc:
            raise ValueError(f"label is not valid goal JSON: {exc}") from None
    else:
        return (str(label) if label is not None else None), None
    if not isinstance(data, dict) or "goal" not in data or "rubric" not in data:
        return (str(data.get("goal_id")) if isinstance(data, dict) and "goal_id" in data else None), None
    return data.get("goal_id"), {"id": data.get("goal_id"), "text": data["goal"], "rubric": data["rubric"]}
