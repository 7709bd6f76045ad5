"""Evolving rubrics during GRPO (opt-in): per goal, a buffer of active and retired rubric items.

After each step, for every goal in it, each active item's pass rate over the group's
plans is checked: an item every plan passes, or every plan fails, gives GRPO no signal
for that goal. An item saturated for the last K groups of its goal is retired (never
below `min_active` items). When a goal lost items, or its whole rubric is saturated, a
configured model may propose new positive and pitfall items from the group's plans
(DR Tulu's evolving rubrics), capped per step and per goal. The grader always sees the
active items; the buffer is saved with every checkpoint and restored on resume, and its
births and retirements are a table in the training summary.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from sciplan.grade.weights import grade_verdicts
from sciplan.llm import BoundedAnswer, Model, ModelSettings
from sciplan.prompts import render
from sciplan.records import Goal, Grade

__all__ = ["BUFFER_FILE", "BufferItem", "EvolvingRubricSettings", "Proposal", "RubricBuffer", "propose_items"]

log = logging.getLogger(__name__)

# The buffer's file inside the run folder and inside every checkpoint folder.
BUFFER_FILE = "rubric_buffer.json"


class EvolvingRubricSettings(BaseModel):
    """Evolving rubrics: retire saturated items, optionally let a model propose new ones."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    # K: an item is retired after its pass rate was saturated (all pass or all fail) in the
    # last K groups of its goal.
    saturation_window: int = Field(3, ge=1)
    min_active: int = Field(1, ge=1)
    # The model that writes new items (None: retirement only), e.g. the grader's model.
    proposer: str | None = None
    proposer_settings: ModelSettings = Field(default_factory=lambda: ModelSettings(cache=False))
    max_tokens: int = Field(400, ge=32)
    new_per_step: int = Field(2, ge=0, le=10)
    max_new_per_goal: int = Field(6, ge=0)
    max_active: int = Field(12, ge=1)
    # Weight of a proposed positive item; pitfalls get its negative.
    new_weight: float = Field(1.0, gt=0)
    pitfalls: bool = True


@dataclass
class BufferItem:
    """One rubric item of one goal and its life: where it came from, when it was born and retired."""

    text: str
    weight: float = 1.0
    veto: bool = False
    origin: str = "dataset"
    born_step: int = 0
    retired_step: int | None = None
    # Consecutive groups of its goal in which its pass rate was saturated.
    streak: int = 0
    last_pass_rate: float | None = None

    @property
    def active(self) -> bool:
        return self.retired_step is None


class Proposal(BoundedAnswer):
    """The proposer's answer: new items, each positive or a pitfall."""

    items: list[dict[str, Any]] = Field(default_factory=list)
    bounded_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "maxItems": 6,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string", "maxLength": 300},
                        "kind": {"type": "string", "enum": ["positive", "pitfall"]},
                    },
                    "required": ["text", "kind"],
                },
            }
        },
        "required": ["items"],
    }


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


async def propose_items(
    model: Model, goal: Goal, active: Sequence[str], plans: Sequence[str], *, limit: int, max_tokens: int
) -> list[tuple[str, str]]:
    """New (text, kind) items from the proposer for `goal` (bad or empty answers give none; model text is data)."""
    prompt = render("train/rubric_proposal.j2", goal=goal.text, items=list(active), plans=list(plans), max_items=limit)
    res = await model.generate_structured([{"role": "user", "content": prompt}], Proposal, max_tokens=max_tokens)
    if not res.ok or res.value is None:
        log.warning("rubric proposer gave no usable items for goal %s: %s", goal.id, res.error)
        return []
    out = []
    for it in res.value.items:
        text = str(it.get("text", "")).strip() if isinstance(it, dict) else ""
        kind = it.get("kind") if isinstance(it, dict) else None
        if 8 <= len(text) <= 300 and kind in ("positive", "pitfall"):
            out.append((text, str(kind)))
    return out[:limit]


@dataclass
class RubricBuffer:
    """Per-goal active and retired items, and the events (births, retirements) that changed them."""

    settings: EvolvingRubricSettings
    items: dict[str, list[BufferItem]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    base: dict[str, Goal] = field(default_factory=dict)
    version: ClassVar[int] = 1

    @classmethod
    def from_goals(cls, goals: Sequence[Goal], settings: EvolvingRubricSettings) -> RubricBuffer:
        """A buffer holding each goal's dataset rubric, all active."""
        buf = cls(settings)
        for g in goals:
            buf.base[g.id] = g
            weights = g.item_weights()
            buf.items[g.id] = [
                BufferItem(text=t, weight=w, veto=i in g.veto) for i, (t, w) in enumerate(zip(g.rubric, weights, strict=True))
            ]
        return buf

    def active(self, goal_id: str) -> list[BufferItem]:
        """The goal's active items, in order."""
        return [it for it in self.items.get(goal_id, []) if it.active]

    def goal(self, goal_id: str) -> Goal:
        """The goal as the grader should see it now: its active items with their weights and vetoes."""
        act = self.active(goal_id)
        return self.base[goal_id].model_copy(
            update={
                "rubric": [it.text for it in act],
                "weights": [it.weight for it in act],
                "veto": [i for i, it in enumerate(act) if it.veto],
            }
        )

    def goals(self) -> dict[str, Goal]:
        """Every goal as the grader should see it now."""
        return {gid: self.goal(gid) for gid in self.items}

    def observe(self, step: int, goal_id: str, grades: Sequence[Grade | None]) -> list[BufferItem]:
        """Update streaks from one group's grades (graded against `goal(goal_id)`); return the items retired."""
        if goal_id not in self.items:
            return []
        goal = self.goal(goal_id)
        act = self.active(goal_id)
        verdicts = [grade_verdicts(goal, g) for g in grades if g is not None and not g.failed]
        retired: list[BufferItem] = []
        for i, item in enumerate(act):
            seen = [bool(v[i]) for v in verdicts if v[i] is not None]
            if len(seen) < 2:
                continue  # one verdict says nothing about spread
            item.last_pass_rate = sum(seen) / len(seen)
            item.streak = item.streak + 1 if item.last_pass_rate in (0.0, 1.0) else 0
        for item in act:
            if item.streak >= self.settings.saturation_window and len(self.active(goal_id)) > self.settings.min_active:
                item.retired_step = step
                retired.append(item)
                self.events.append(
                    {"step": step, "goal_id": goal_id, "event": "retired", "item": item.text, "weight": item.weight,
                     "origin": item.origin, "pass_rate": item.last_pass_rate}
                )
        return retired

    def needs_items(self, goal_id: str) -> bool:
        """Whether new items would help: the goal lost items, or all its active items are saturated."""
        act = self.active(goal_id)
        proposed = sum(it.origin == "proposed" for it in self.items.get(goal_id, []))
        if proposed >= self.settings.max_new_per_goal or len(act) >= self.settings.max_active:
            return False
        lost = any(not it.active for it in self.items.get(goal_id, []))
        return lost or (bool(act) and all(it.streak > 0 for it in act))

    def add(self, step: int, goal_id: str, proposals: Sequence[tuple[str, str]]) -> list[BufferItem]:
        """Add proposed (text, kind) items within the caps; repeats of any item, active or retired, are skipped."""
        s = self.settings
        known = {_norm(it.text) for it in self.items.get(goal_id, [])}
        born: list[BufferItem] = []
        for text, kind in proposals:
            proposed = sum(it.origin == "proposed" for it in self.items[goal_id])
            if (len(born) >= s.new_per_step or proposed >= s.max_new_per_goal
                    or len(self.active(goal_id)) >= s.max_active):
                break
            if _norm(text) in known or (kind == "pitfall" and not s.pitfalls):
                continue
            item = BufferItem(text=text, weight=-s.new_weight if kind == "pitfall" else s.new_weight,
                              origin="proposed", born_step=step)
            self.items[goal_id].append(item)
            known.add(_norm(text))
            born.append(item)
            self.events.append({"step": step, "goal_id": goal_id, "event": "born", "item": text,
                                "weight": item.weight, "origin": "proposed", "pass_rate": None})
        return born

    def table(self) -> list[dict[str, Any]]:
        """Births and retirements per goal, with the active count now (the training summary's table)."""
        rows = []
        for gid, items in self.items.items():
            rows.append({
                "goal_id": gid,
                "active": sum(it.active for it in items),
                "retired": sum(not it.active for it in items),
                "born": sum(it.origin == "proposed" for it in items),
                "pitfalls_active": sum(it.active and it.weight < 0 for it in items),
            })
        return rows

    def summary(self) -> dict[str, Any]:
        """The training summary's part: the per-goal table and every birth and retirement."""
        return {"table": self.table(), "events": list(self.events)}

    # -- saving with checkpoints ----------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything needed to resume: items, events, and the goals' base records."""
        return {
            "version": self.version,
            "settings": self.settings.model_dump(mode="json"),
            "items": {gid: [asdict(it) for it in items] for gid, items in self.items.items()},
            "events": list(self.events),
            "base": {gid: g.model_dump(mode="json") for gid, g in self.base.items()},
        }

    def save(self, path: Path) -> Path:
        """Write the buffer as JSON (atomically) to `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path, settings: EvolvingRubricSettings | None = None) -> RubricBuffer:
        """A buffer from a file `save` wrote; the current `settings` win over the saved ones."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            buf = cls(settings or EvolvingRubricSettings.model_validate(data["settings"]))
            buf.base = {gid: Goal.model_validate(g) for gid, g in data["base"].items()}
            buf.items = {gid: [BufferItem(**it) for it in items] for gid, items in data["items"].items()}
            buf.events = list(data.get("events", []))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a rubric buffer ({exc})") from exc
        return buf

    def merge_goals(self, goals: Mapping[str, Goal]) -> None:
        """Add goals the buffer does not know yet (a resumed run with more goals)."""
        for gid, g in goals.items():
            if gid not in self.items:
                self.base[gid] = g
                self.items[gid] = [BufferItem(text=t, weight=w, veto=i in g.veto)
                                   for i, (t, w) in enumerate(zip(g.rubric, g.item_weights(), strict=True))]
