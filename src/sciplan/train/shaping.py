"""What happens to a step's reward after grading: item weights and vetoes, the length guard, evolving rubrics.

Each part is opt-in and defaults to the paper's reward (share of items satisfied minus
the format penalty). `RewardShaping.apply` runs on every step's components before TRL
sees the rewards; `after_step` updates the evolving-rubric buffer from the step's grades
and hands the grader the goals' new active items for the next step.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sciplan.grade import RewardParts, RubricReward
from sciplan.grade.weights import VetoConfig, rescore
from sciplan.llm import Model, get_model
from sciplan.train.length_guard import LengthGuardSettings, guard_lengths
from sciplan.train.rubric_buffer import BUFFER_FILE, EvolvingRubricSettings, RubricBuffer, propose_items

__all__ = ["RewardShaping", "buffer_callback"]

log = logging.getLogger(__name__)


class RewardShaping:
    """Weighted/signed/veto scoring, the length guard and the rubric buffer around one `RubricReward`."""

    def __init__(
        self,
        reward: RubricReward,
        *,
        length: LengthGuardSettings | None = None,
        veto: VetoConfig | None = None,
        evolving: EvolvingRubricSettings | None = None,
        proposer: Model | None = None,
    ) -> None:
        self.reward = reward
        self.length = length or LengthGuardSettings()
        self.veto = veto or VetoConfig()
        self.evolving = evolving or EvolvingRubricSettings()
        self.buffer: RubricBuffer | None = None
        if self.evolving.enabled:
            self.buffer = RubricBuffer.from_goals(list(reward.goals.values()), self.evolving)
            reward.goals.update(self.buffer.goals())
        if proposer is None and self.evolving.enabled and self.evolving.proposer:
            proposer = get_model(self.evolving.proposer, self.evolving.proposer_settings)
        self.proposer = proposer

    def apply(self, parts: Sequence[RewardParts], goal_ids: Sequence[str]) -> tuple[list[RewardParts], dict[str, float]]:
        """The step's parts rescored by item weights and vetoes, then length-guarded; and their metrics."""
        out: list[RewardParts] = []
        vetoed = 0
        for p, gid in zip(parts, goal_ids, strict=True):
            goal = self.reward.goals.get(str(gid))
            if goal is None or p.grade is None or p.failed:
                out.append(p)
                continue
            grade, w = rescore(goal, p.grade)
            if w is None:
                out.append(p)
                continue
            if w.failed_veto:
                vetoed += 1
                out.append(replace(p, grade=grade, score=w.score, reward=self.veto.floor - p.penalty,
                                   flags=[*p.flags, "veto"]))
            else:
                out.append(replace(p, grade=grade, score=w.score, reward=w.score - p.penalty))
        out, lost = guard_lengths(out, [str(g) for g in goal_ids], self.length)
        metrics: dict[str, float] = {}
        if out:
            metrics["reward/vetoed"] = vetoed / len(out)
            if self.length.mode != "off":
                metrics["reward/length_guard"] = sum(lost) / len(out)
        return out, metrics

    async def after_step(self, step: int, parts: Sequence[RewardParts], goal_ids: Sequence[str]) -> dict[str, float]:
        """Retire saturated items, let the proposer add new ones, and give the grader the new rubrics."""
        buf = self.buffer
        if buf is None:
            return {}
        groups: dict[str, list[RewardParts]] = {}
        for p, gid in zip(parts, goal_ids, strict=True):
            groups.setdefault(str(gid), []).append(p)
        retired = born = 0
        for gid, ps in groups.items():
            retired += len(buf.observe(step, gid, [p.grade for p in ps]))
            if self.proposer is not None and buf.needs_items(gid):
                plans = [p.format.plan for p in ps if p.format.plan][:4]
                try:
                    proposals = await propose_items(
                        self.proposer, buf.goal(gid), [it.text for it in buf.active(gid)], plans,
                        limit=self.evolving.new_per_step, max_tokens=self.evolving.max_tokens,
                    )
                except Exception as exc:  # a proposer outage must not stop training
                    log.warning("rubric proposer failed for goal %s at step %d: %s", gid, step, exc)
                    proposals = []
                born += len(buf.add(step, gid, proposals))
        self.reward.goals.update(buf.goals())
        active = [len(buf.active(g)) for g in buf.items]
        return {"rubric/retired": float(retired), "rubric/born": float(born),
                "rubric/active_mean": sum(active) / len(active) if active else 0.0}

    def restore(self, folder: Path) -> bool:
        """Load the buffer saved in a checkpoint `folder` (False when it holds none)."""
        path = Path(folder) / BUFFER_FILE
        if self.buffer is None or not path.is_file():
            return False
        restored = RubricBuffer.load(path, self.evolving)
        restored.merge_goals(self.buffer.base)
        self.buffer = restored
        self.reward.goals.update(restored.goals())
        log.info("rubric buffer restored from %s (%d events)", path, len(restored.events))
        return True


def buffer_callback(shaping: RewardShaping, out: Path) -> Any:
    """A TRL callback that saves the rubric buffer into each checkpoint folder and the run folder."""
    from transformers import TrainerCallback

    class SaveBuffer(TrainerCallback):
        def on_save(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if shaping.buffer is not None and state.is_world_process_zero:  # the main process's buffer grades
                ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
                shaping.buffer.save(ckpt / BUFFER_FILE)
                shaping.buffer.save(out / BUFFER_FILE)

    return SaveBuffer()
