"""`RubricScorer`: sciplan's grader behind another framework's scorer or rubric.

One completion in, its `RewardParts` out (score, penalty, per-item verdicts), plus the
text and per-guideline figures a framework shows beside a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sciplan.grade import Grader, RewardParts, RubricReward, load_grading_config
from sciplan.llm import DEFAULT_MODEL, ModelSettings, get_model
from sciplan.records import Goal

__all__ = ["RubricScorer"]


class RubricScorer:
    """Grades one completion for one goal with a sciplan grader spec and grading config."""

    def __init__(self, grader: str = DEFAULT_MODEL, config: str | Path | None = None,
                 settings: ModelSettings | None = None) -> None:
        cfg = load_grading_config(config)
        self.reward = RubricReward(Grader(get_model(grader, settings), cfg.grader, stage_name="grade"), {}, cfg.reward)

    @property
    def guideline_ids(self) -> list[str]:
        return list(self.reward.grader.guidelines.ids)

    async def score(self, goal: Goal, completion: Any) -> RewardParts:
        """The reward components of one completion (text or chat messages): one grader call, all items."""
        [part] = await self.reward.score([goal], [completion])
        return part

    async def score_group(self, goal: Goal, completions: Sequence[Any]) -> list[RewardParts]:
        """Several completions of one goal, graded as a group (prefix cache)."""
        return await self.reward.score([goal] * len(completions), list(completions))

    def violations(self, part: RewardParts) -> dict[str, float]:
        """Per guideline, the fraction of this plan's rubric items that violate it."""
        items = part.grade.items if part.grade is not None and not part.failed else []
        return {gid: (sum(gid in it.violations for it in items) / len(items) if items else 0.0) for gid in self.guideline_ids}

    @staticmethod
    def explain(part: RewardParts) -> str:
        """Per-item verdicts as lines, with the reward's parts first."""
        head = f"reward {part.reward}, score {part.score}, format penalty {part.penalty}"
        if part.failed:
            error = part.grade.error if part.grade is not None else "grader unreachable"
            return f"{head}; the grade FAILED: {error}"
        if part.grade is None:
            return f"{head}; not graded (no plan, or over the length limit)"
        lines = [head]
        for it in part.grade.items:
            mark = "x" if it.satisfied else " "
            why = f" violates {', '.join(it.violations)}" if it.violations else ""
            lines.append(f"[{mark}] {it.index}. {it.item}{why} - {it.reason}")
        return "\n".join(lines)
