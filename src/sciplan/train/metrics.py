"""Training metrics per step: reward, score, penalty, plan length, violations, grader failures.

Written to TensorBoard by default, to W&B when asked, and always to `metrics.jsonl`, so
a run can be read back without either tool.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from statistics import fmean, pstdev
from typing import Any

from sciplan.errors import SciplanError
from sciplan.grade import RewardParts
from sciplan.train.config import LoggingSettings

__all__ = ["step_metrics", "MetricsLogger", "read_scalars"]


def _mean(xs: Sequence[float]) -> float:
    return fmean(xs) if xs else math.nan


def step_metrics(parts: Sequence[RewardParts], guideline_ids: Iterable[str]) -> dict[str, float]:
    """Scalars for one step's completions; a failed grade counts as a failure, never as 0."""
    n = len(parts)
    if not n:
        return {}
    rewards = [p.reward for p in parts if p.reward is not None]
    scores = [p.score for p in parts if p.score is not None]
    failed = sum(p.failed for p in parts)
    out = {
        "reward/mean": _mean(rewards),
        "reward/std": pstdev(rewards) if len(rewards) > 1 else 0.0,
        "score/mean": _mean(scores),
        # The failure view's other side: failed grades counted as 0 (what a silent-zero reward would show).
        "reward/mean_failed_as_0": fmean(p.reward if p.reward is not None else 0.0 for p in parts),
        "score/mean_failed_as_0": fmean(p.score if p.score is not None else 0.0 for p in parts),
        "penalty/mean": fmean(p.penalty for p in parts),
        "plan_length/mean": fmean(p.format.length for p in parts),
        "plan_length/max": float(max(p.format.length for p in parts)),
        "format/over_limit": fmean(p.format.over_limit for p in parts),
        "format/missing_plan": fmean(p.format.missing_plan for p in parts),
        "format/unterminated": fmean(p.format.unterminated for p in parts),
        "grader/failures": float(failed),
        "grader/failure_rate": failed / n,
        "flags/injection_rate": fmean("injection" in p.flags for p in parts),
        "completions": float(n),
    }
    items = [it for p in parts if p.grade is not None and not p.failed for it in p.grade.items]
    if items:
        for gid in guideline_ids:
            out[f"violations/{gid}"] = fmean(gid in it.violations for it in items)
        out["items/satisfied"] = fmean(it.satisfied for it in items)
    return out


class MetricsLogger:
    """Scalars by step to TensorBoard (default), W&B (when asked) and `metrics.jsonl`."""

    def __init__(self, out_dir: Path, settings: LoggingSettings, *, run_name: str = "sciplan", config: Mapping[str,
                 Any] | None = None, active: bool = True) -> None:
        # Inactive (the other processes of a multi-process run): logs nothing, opens nothing.
        self.active = active
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.jsonl = self.out_dir / "metrics.jsonl"
        self.tb_dir = self.out_dir / "tensorboard"
        self.tb_writer: Any = None
        self.wandb: Any = None
        if active and "tensorboard" in settings.backends:
            from torch.utils.tensorboard import SummaryWriter

            self.tb_writer = SummaryWriter(log_dir=str(self.tb_dir))
        if active and "wandb" in settings.backends:
            try:
                import wandb
            except ImportError:
                raise SciplanError("logging backend 'wandb' needs the wandb package: pip install wandb") from None
            if wandb.run is None:
                wandb.init(project=settings.wandb_project or "sciplan", entity=settings.wandb_entity,
                           name=run_name, config=dict(config or {}))
            self.wandb = wandb

    def log(self, step: int, scalars: Mapping[str, float], prefix: str = "sciplan") -> None:
        """Write finite scalars under `prefix/` at `step` to every backend."""
        if not self.active:
            return
        clean = {f"{prefix}/{k}": float(v) for k, v in scalars.items() if v is not None and math.isfinite(float(v))}
        record = {"step": step, "time": time.time(), **clean}
        with open(self.jsonl, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
        if self.tb_writer is not None:
            for k, v in clean.items():
                self.tb_writer.add_scalar(k, v, step)
            self.tb_writer.flush()
        if self.wandb is not None and clean:
            self.wandb.log({**clean, "train/global_step": step})

    def text(self, step: int, tag: str, text: str) -> None:
        """A text note (e.g. a monitor's warning) on TensorBoard and W&B."""
        if self.tb_writer is not None:
            self.tb_writer.add_text(tag, text, step)
            self.tb_writer.flush()
        if self.wandb is not None:
            self.wandb.log({tag: text, "train/global_step": step})

    def close(self) -> None:
        if self.tb_writer is not None:
            self.tb_writer.close()


def read_scalars(tb_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in the TensorBoard event files under `tb_dir`: tag -> [(step, value)]."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out: dict[str, list[tuple[int, float]]] = {}
    for events in sorted(Path(tb_dir).rglob("events.out.tfevents.*")):
        acc = EventAccumulator(str(events), size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags().get("scalars", []):
            out.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
    for tag in out:
        out[tag].sort()
    return out
