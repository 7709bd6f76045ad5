"""The records that cross part boundaries: `Paper`, `Goal`, `Plan`, `Grade`.

Every stage reads and writes these as JSONL (see `sciplan.jsonl`); a record's `id` is
what a resumed stage uses to skip work already done.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date as Date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Record",
    "Section",
    "Paper",
    "Goal",
    "Plan",
    "GradeItem",
    "GradeTokens",
    "Grade",
    "Failure",
    "make_id",
    "RECORD_TYPES",
]


def make_id(*parts: Any, length: int = 16) -> str:
    """A short, stable id derived from `parts` (same parts, same id, in any process)."""
    blob = json.dumps([str(p) for p in parts], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:length]


class Record(BaseModel):
    """Base of all records: keys a record does not know are ignored on read."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str

    def to_json(self) -> str:
        """One JSON line, without a trailing newline."""
        return self.model_dump_json(exclude_none=False)


class Section(BaseModel):
    """One titled part of a paper; `level` 1 is a top-level section, 2 a subsection."""

    model_config = ConfigDict(extra="ignore")

    heading: str
    text: str
    level: int = 1

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        # DESIGN.md writes sections as (heading, text) pairs; accept that shape too.
        if isinstance(value, (list, tuple)) and len(value) in (2, 3):
            keys = ("heading", "text", "level")
            return dict(zip(keys, value, strict=False))
        return value


class Paper(Record):
    """One ingested paper."""

    title: str
    abstract: str = ""
    sections: list[Section] = Field(default_factory=list)
    date: Date | None = None
    venue: str | None = None
    domain: str | None = None
    license: str | None = None
    source_url: str | None = None
    authors: list[str] = Field(default_factory=list)
    # External identifiers: {"doi": ..., "pmcid": ..., "arxiv": ..., "openreview": ...}.
    ids: dict[str, str] = Field(default_factory=dict)
    # Where the text came from: "jats", "latex", "pdf", "markdown", "text".
    source_format: str | None = None
    # Venue decision when known (OpenReview): "oral", "spotlight", "poster".
    decision: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def text(self) -> str:
        """Title, abstract and sections as one plain-text document."""
        parts = [self.title, self.abstract]
        parts += [f"{s.heading}\n{s.text}" for s in self.sections]
        return "\n\n".join(p for p in parts if p)


class Goal(Record):
    """One research goal with its grading rubric: a row of the dataset.

    Rubric items are texts. `weights` (one per item; empty: every item 1) gives an item's
    points, negative for a pitfall (a behaviour the plan must not show); `veto` lists the
    indices of critical items whose failure sets the reward to the configured floor.
    Items may be given as {"text", "weight", "veto"} objects; they are split into these fields.
    """

    paper_id: str | None = None
    domain: str | None = None
    text: str
    rubric: list[str] = Field(default_factory=list)
    weights: list[float] = Field(default_factory=list)
    veto: list[int] = Field(default_factory=list)
    reference: str | None = None
    # The selector's component scores (e.g. {"goal": .9, "rubric": .8, "reference": .7}).
    scores: dict[str, float] = Field(default_factory=dict)
    date: Date | None = None
    split: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("rubric", mode="before")
    @classmethod
    def _rubric_list(cls, value: Any) -> Any:
        # Tolerate a rubric given as one newline-separated string.
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        return value

    @model_validator(mode="before")
    @classmethod
    def _structured_items(cls, data: Any) -> Any:
        # {"text", "weight", "veto"} items (HealthBench/DR Tulu style) become texts plus the
        # parallel `weights` and `veto`; plain strings stay weight 1, positive.
        if not isinstance(data, dict) or not isinstance(data.get("rubric"), list):
            return data
        items = data["rubric"]
        if not any(isinstance(i, dict) for i in items):
            return data
        texts, weights, veto = [], [], list(data.get("veto") or [])
        for k, item in enumerate(items):
            if isinstance(item, dict):
                text = item.get("text", item.get("criterion"))
                if not isinstance(text, str):
                    raise ValueError(f"rubric item {k + 1} has no text")
                texts.append(text)
                raw: Any = item.get("weight", item.get("points", 1.0))
                try:
                    weights.append(float(raw))
                except (TypeError, ValueError):
                    raise ValueError(f"rubric item {k + 1} has weight {raw!r}, not a number") from None
                if item.get("veto"):
                    veto.append(k)
            else:
                texts.append(item)
                weights.append(1.0)
        return {**data, "rubric": texts, "weights": weights, "veto": sorted(set(veto))}

    @model_validator(mode="after")
    def _weights_fit(self) -> Goal:
        if self.weights and len(self.weights) != len(self.rubric):
            raise ValueError(f"weights has {len(self.weights)} entries for {len(self.rubric)} rubric items")
        if any(not 0 <= i < len(self.rubric) for i in self.veto):
            raise ValueError(f"veto indices {self.veto} out of range for {len(self.rubric)} rubric items")
        if any(w == 0 for w in self.weights):
            raise ValueError("a rubric item weight of 0 counts for nothing; remove the item instead")
        return self

    def item_weights(self) -> list[float]:
        """Each rubric item's points (1.0 when none are given); negative: a pitfall."""
        return list(self.weights) if self.weights else [1.0] * len(self.rubric)


class Plan(Record):
    """One generated research plan for one goal."""

    goal_id: str
    model: str
    text: str
    thinking: str | None = None
    tokens: int = 0
    format_ok: bool = True
    # Index within a group of samples for the same goal (GRPO groups, eval samples).
    sample: int = 0
    finish_reason: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class GradeItem(BaseModel):
    """The grader's verdict on one rubric item."""

    model_config = ConfigDict(extra="ignore")

    index: int
    item: str = ""
    excerpt: str = ""
    violations: list[str] = Field(default_factory=list)
    reason: str = ""
    satisfied: bool = False


class GradeTokens(BaseModel):
    """Tokens one grading call used (summed over its repair turns)."""

    model_config = ConfigDict(extra="ignore")

    prompt: int = 0
    completion: int = 0


# Facts older grades kept in `meta`; now typed fields (old JSONL still loads).
_GRADE_META_FIELDS = ("view", "guidelines", "reference", "attempts", "tokens", "weaknesses")


class Grade(Record):
    """One grader's verdict on one plan."""

    goal_id: str
    plan_id: str
    grader: str
    variant: str = "violations"
    # What the grader saw: rubric and/or guidelines (`view`), which guideline set
    # (`name@version`), and how the goal's reference solution was shown
    # (`none`, `example`: one valid approach, `bar`: the plan must match it).
    view: str = "both"
    guidelines: str = ""
    reference: str = "none"
    attempts: int = 0
    tokens: GradeTokens = Field(default_factory=GradeTokens)
    # The plan's weaknesses the grader wrote before its verdicts (paper protocol).
    weaknesses: str = ""
    items: list[GradeItem] = Field(default_factory=list)
    score: float | None = None
    penalty: float = 0.0
    reward: float | None = None
    # A grade whose output could not be parsed or repaired: never a silent zero.
    failed: bool = False
    error: str | None = None
    # Findings about the plan, e.g. "injection" when it tries to instruct the grader.
    flags: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_meta(cls, data: Any) -> Any:
        """Grades written before these fields existed kept them in `meta`."""
        if isinstance(data, dict) and isinstance(data.get("meta"), dict):
            meta = data["meta"]
            moved = {k: meta[k] for k in _GRADE_META_FIELDS if k in meta and k not in data}
            if moved:
                data = {**data, **moved, "meta": {k: v for k, v in meta.items() if k not in moved}}
        return data


class Failure(Record):
    """An input a stage could not use, and why: written to `failures.jsonl`."""

    input: str
    stage: str
    error: str

    @classmethod
    def of(cls, stage: str, input: str, error: str | BaseException) -> Failure:
        """A failure with a stable id, so a rerun that fails again does not duplicate it."""
        return cls(id=make_id("failure", stage, input), input=input, stage=stage, error=str(error))


RECORD_TYPES: dict[str, type[Record]] = {
    "paper": Paper,
    "goal": Goal,
    "plan": Plan,
    "grade": Grade,
}
