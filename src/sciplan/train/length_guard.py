"""A guard against length hacking: plans longer than their group's median lose reward.

Beside the hard length limit (the format penalty), a policy can still gain items by
writing ever longer plans inside it (PaperGym saw soundness fall as plans grew after
GRPO). GRPO only compares plans within a group, so the guard measures each plan against
its own group: `penalty` subtracts `coef` per unit of relative excess over the group's
median length (capped), `normalise` scales the rubric score by (median / length)^power
for plans longer than the median. Plans at or under the median are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from statistics import median
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sciplan.grade import RewardParts

__all__ = ["LengthGuardSettings", "guard_lengths"]


class LengthGuardSettings(BaseModel):
    """How plan length relative to the group changes the reward ("off": not at all, the paper's setup)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["off", "penalty", "normalise"] = "off"
    coef: float = Field(0.5, ge=0, description="penalty: reward lost per unit of relative excess over the median")
    max_penalty: float = Field(0.5, ge=0)
    power: float = Field(1.0, gt=0, description="normalise: exponent of median / length")


def guard_lengths(
    parts: Sequence[RewardParts], groups: Sequence[str], settings: LengthGuardSettings
) -> tuple[list[RewardParts], list[float]]:
    """The parts with the guard applied, and the reward each one lost to it (groups: one key per part)."""
    if len(groups) != len(parts):
        raise ValueError("guard_lengths needs one group key per reward part")
    lost = [0.0] * len(parts)
    if settings.mode == "off":
        return list(parts), lost
    by_group: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(str(g), []).append(i)
    out = list(parts)
    for rows in by_group.values():
        lengths = [parts[i].format.length for i in rows if not parts[i].format.missing_plan]
        if len(lengths) < 2:
            continue
        mid = median(lengths)
        if mid <= 0:
            continue
        for i in rows:
            p = parts[i]
            if p.reward is None or p.score is None or p.format.length <= mid:
                continue
            excess = p.format.length / mid - 1.0
            if settings.mode == "penalty":
                cut = min(settings.max_penalty, settings.coef * excess)
            else:
                cut = p.score * (1.0 - (mid / p.format.length) ** settings.power)
            lost[i] = cut
            out[i] = replace(p, reward=p.reward - cut, flags=[*p.flags, "length_guard"])
    return out, lost
