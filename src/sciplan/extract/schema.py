"""Output schemas of the extraction calls: bounded for decoding, tolerant for parsing.

As in `sciplan.grade.schema`, each answer model reports a strict JSON schema (arrays
with `maxItems`, indices and verdicts as enums, strings with `maxLength`) so that
constrained decoding cannot ramble, while the pydantic model that validates the answer
rejects only what cannot be used (each rejection triggers a bounded repair turn).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from sciplan.llm import BoundedAnswer

__all__ = ["CandidateOut", "creator_answer", "item_scores_answer", "checks_answer", "leakage_answer"]


def _string(max_chars: int, min_chars: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string", "maxLength": max_chars}
    if min_chars:
        out["minLength"] = min_chars
    return out


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


class CandidateOut(BaseModel):
    """One candidate as the creator writes it (strings are cut to their bounds later)."""

    model_config = ConfigDict(extra="ignore")

    goal: str
    rubric: list[str]
    reference: str
    pitfalls: list[str] = Field(default_factory=list)

    @field_validator("rubric", "pitfalls", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        # Prompt-only backends answer a rubric as one string, or as objects with a text.
        if isinstance(value, str):
            return [line.strip(" -*\t") for line in value.splitlines() if line.strip(" -*\t")]
        if isinstance(value, list):
            return [next((str(v[k]) for k in ("item", "text", "criterion") if k in v), "") if isinstance(v, dict)
                    else str(v) for v in value]
        return value


class _CreatorBase(BoundedAnswer):
    candidates: list[CandidateOut]

    @model_validator(mode="after")
    def _some(self) -> _CreatorBase:
        if not self.candidates:
            raise ValueError("no candidate: give at least one {goal, rubric, reference}")
        return self


@lru_cache(maxsize=64)
def creator_answer(n: int, min_items: int, max_items: int, goal_chars: int, item_chars: int,
                   reference_chars: int, min_goal_chars: int = 1, min_reference_chars: int = 1,
                   pitfalls: int = 0) -> type[BoundedAnswer]:
    """The creator's answer: 1..n candidates, each a goal, min..max rubric items, a reference (and 0..pitfalls pitfalls).

    The minimum lengths go into the schema too, so constrained decoding cannot stop a
    goal or a reference before it is long enough to be kept.
    """
    candidate = _object({
        "goal": _string(goal_chars, min(max(1, min_goal_chars), goal_chars)),
        "rubric": {"type": "array", "items": _string(item_chars, 1), "minItems": min(min_items, max_items),
                   "maxItems": max_items},
        "reference": _string(reference_chars, min(max(1, min_reference_chars), reference_chars)),
        **({"pitfalls": {"type": "array", "items": _string(item_chars, 1), "maxItems": pitfalls}} if pitfalls else {}),
    })
    model = create_model("CreatorAnswer", __base__=_CreatorBase)
    model.bounded_schema = _object({"candidates": {"type": "array", "items": candidate, "minItems": 1, "maxItems": n}})
    return model


class _IndexedBase(BoundedAnswer):
    @model_validator(mode="after")
    def _some_unit_judged(self) -> _IndexedBase:
        n = type(self).n_units
        if not any(1 <= v.index <= n for v in self.items):  # type: ignore[attr-defined]
            raise ValueError(f"no answer for any of the {n} items: give one per item, index 1 to {n}")
        return self


@lru_cache(maxsize=128)
def item_scores_answer(n: int, reason_chars: int) -> type[BoundedAnswer]:
    """Quality of each of `n` rubric items: a reason, then a score from 1 (poor) to 5 (excellent)."""
    item = _object({"index": {"type": "integer", "enum": list(range(1, n + 1))}, "reason": _string(reason_chars),
                    "score": {"type": "integer", "enum": [1, 2, 3, 4, 5]}})
    score = create_model("ItemScore", __config__=ConfigDict(extra="ignore"), index=(int, ...),
                         reason=(str, ""), score=(int, Field(ge=1, le=5)))
    model = create_model("ItemScores", __base__=_IndexedBase, items=(list[score], ...))  # type: ignore[valid-type]
    model.bounded_schema = _object({"items": {"type": "array", "items": item, "minItems": n, "maxItems": n}})
    model.n_units = n
    return model


@lru_cache(maxsize=32)
def checks_answer(goal_criteria: tuple[str, ...], rubric_criteria: tuple[str, ...], reason_chars: int) -> type[BoundedAnswer]:
    """A reason and a pass/fail verdict for each named goal criterion and rubric criterion."""
    verdict_schema = _object({"reason": _string(reason_chars), "verdict": {"type": "string", "enum": ["pass", "fail"]}})
    verdict = create_model("Verdict", __config__=ConfigDict(extra="ignore"), reason=(str, ""),
                           verdict=(Literal["pass", "fail"], ...))

    def group(name: str, names: tuple[str, ...]) -> type[BaseModel]:
        return create_model(name, __config__=ConfigDict(extra="ignore"), **{c: (verdict, ...) for c in names})

    model = create_model("Checks", __base__=BoundedAnswer, goal=(group("GoalChecks", goal_criteria), ...),
                         rubric=(group("RubricChecks", rubric_criteria), ...))
    model.bounded_schema = _object({
        "goal": _object({c: verdict_schema for c in goal_criteria}),
        "rubric": _object({c: verdict_schema for c in rubric_criteria}),
    })
    return model


@lru_cache(maxsize=128)
def leakage_answer(n: int, reason_chars: int) -> type[BoundedAnswer]:
    """For each of `n` rubric items: a reason, then whether the goal text already states it."""
    item = _object({"index": {"type": "integer", "enum": list(range(1, n + 1))}, "reason": _string(reason_chars),
                    "stated": {"type": "boolean"}})
    verdict = create_model("ItemLeak", __config__=ConfigDict(extra="ignore"), index=(int, ...), reason=(str, ""),
                           stated=(bool, ...))
    model = create_model("Leakage", __base__=_IndexedBase, items=(list[verdict], ...))  # type: ignore[valid-type]
    model.bounded_schema = _object({"items": {"type": "array", "items": item, "minItems": n, "maxItems": n}})
    model.n_units = n
    return model
