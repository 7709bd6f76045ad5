"""What one annotator said about one goal's pair of plans, in terms of the two arms.

The web page shows the plans as "Plan 1" (left) and "Plan 2" (right) in a blinded order;
everything stored and exported is translated back to the arms: `a` is the plan from
`--plans-a`, `b` the plan from `--plans-b`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Arm", "Preference", "Status", "ItemAnswer", "Answer", "Annotation", "SCORE_MIN", "SCORE_MAX"]

Arm = Literal["a", "b"]
# "tie" only where the study offers it (`StudyConfig.allow_tie`).
Preference = Literal["a", "b", "tie"]
Status = Literal["new", "started", "done"]
SCORE_MIN, SCORE_MAX = 1, 10


class ItemAnswer(BaseModel):
    """One rubric item: which plans satisfy it, and whether it is a valid item (None: unanswered)."""

    model_config = ConfigDict(extra="ignore")

    index: int
    item: str = ""
    satisfied_a: bool = False
    satisfied_b: bool = False
    valid: bool | None = None


class Answer(BaseModel):
    """An annotator's answers for one assignment; any field may still be empty while in progress."""

    model_config = ConfigDict(extra="ignore")

    preference: Preference | None = None
    score_a: int | None = Field(None, ge=SCORE_MIN, le=SCORE_MAX)
    score_b: int | None = Field(None, ge=SCORE_MIN, le=SCORE_MAX)
    rationale: str = ""
    items: list[ItemAnswer] = Field(default_factory=list)
    time_spent_ms: int = Field(0, ge=0)

    def missing(self, n_items: int) -> list[str]:
        """What must still be answered before this can be submitted (empty when complete)."""
        out: list[str] = []
        if self.preference is None:
            out.append("a preference")
        if self.score_a is None or self.score_b is None:
            out.append("both overall scores")
        answered = {i.index for i in self.items if i.valid is not None}
        unanswered = [i + 1 for i in range(n_items) if i not in answered]
        if unanswered:
            out.append("validity of rubric item " + ", ".join(map(str, unanswered)))
        return out


class Annotation(Answer):
    """One assignment with its answers, blinding resolved: the unit of export and analysis."""

    id: str
    annotator: str
    goal_id: str
    plan_a_id: str
    plan_b_id: str
    model_a: str = ""
    model_b: str = ""
    # Which arm was shown on the left ("Plan 1").
    left_arm: Arm
    # For an attention item: the arm an attentive annotator prefers (None: a real item).
    attention: Arm | None = None
    status: Status = "new"
    opened_at: str | None = None
    updated_at: str | None = None
    submitted_at: str | None = None

    def to_json(self) -> str:
        """One JSON line, without a trailing newline."""
        return self.model_dump_json()
