"""The grader's output: a bounded JSON schema for decoding, a tolerant model for parsing.

Two halves on purpose. The schema sent to the backend is strict and bounded — exactly
one verdict per unit, indices and guideline ids as enums, capped string lengths — so
that constrained decoding (llama.cpp, vLLM) cannot ramble: a 135M model repeats array
items until max_tokens when arrays are unbounded. The pydantic model that validates the
answer rejects only what cannot be fixed (an unknown guideline id, a Likert score out of
range, no usable verdict at all: each triggers a repair turn); duplicates and
out-of-range indices are dropped, missing units count as unsatisfied and long strings are
cut by the grader, because prompt-only backends (no constrained decoding) produce those.
"""

from functools import lru_cache
from typing import Any, Literal

from pydantic import ConfigDict, Field, create_model, model_validator

from sciplan.llm import BoundedAnswer

__all__ = ["Kind", "verdict_schema", "verdict_model"]

Kind = Literal["violations", "satisfied", "likert"]


def verdict_schema(
    kind: Kind, n_units: int, ids: tuple[str, ...], excerpt_chars: int, reason_chars: int, weakness_chars: int = 0
) -> dict[str, Any]:
    """The bounded JSON schema of the grader's answer (with a leading `weaknesses`
    string when `weakness_chars` > 0: the paper's weaknesses-first answer)."""
    if kind == "likert":
        return {
            "type": "object",
            "properties": {
                "reason": {"type": "string", "maxLength": reason_chars},
                "score": {"type": "integer", "enum": list(range(1, 11))},
            },
            "required": ["reason", "score"],
            "additionalProperties": False,
        }
    item: dict[str, Any] = {
        "type": "object",
        "properties": {
            "index": {"type": "integer", "enum": list(range(1, n_units + 1))},
            "excerpt": {"type": "string", "maxLength": excerpt_chars},
            # The reason comes before the verdict: the model commits after explaining.
            "reason": {"type": "string", "maxLength": reason_chars},
        },
        "required": ["index", "excerpt", "reason"],
        "additionalProperties": False,
    }
    if kind == "violations":
        item["properties"]["violations"] = {
            "type": "array",
            "items": {"type": "string", "enum": list(ids)},
            "maxItems": len(ids),
        }
        item["required"].append("violations")
    else:
        item["properties"]["satisfied"] = {"type": "boolean"}
        item["required"].append("satisfied")
    props: dict[str, Any] = {}
    if weakness_chars:
        props["weaknesses"] = {"type": "string", "maxLength": weakness_chars}
    props["verdicts"] = {"type": "array", "items": item, "minItems": n_units, "maxItems": n_units}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


class _VerdictsBase(BoundedAnswer):
    @model_validator(mode="after")
    def _some_unit_judged(self) -> "_VerdictsBase":
        n = type(self).n_units
        if not any(1 <= v.index <= n for v in self.verdicts):  # type: ignore[attr-defined]
            raise ValueError(f"no verdict for any of the {n} items: give one verdict per item, index 1 to {n}")
        return self


class _LikertBase(BoundedAnswer):
    reason: str = ""
    score: int = Field(ge=1, le=10)


@lru_cache(maxsize=128)
def verdict_model(
    kind: Kind, n_units: int, ids: tuple[str, ...], excerpt_chars: int, reason_chars: int, weakness_chars: int = 0
) -> type[BoundedAnswer]:
    """The answer model for a grading call (cached: one class per shape)."""
    schema = verdict_schema(kind, n_units, ids, excerpt_chars, reason_chars, weakness_chars)
    if kind == "likert":
        model: type[BoundedAnswer] = create_model("LikertAnswer", __base__=_LikertBase)
    else:
        fields: dict[str, Any] = {"index": (int, ...), "excerpt": (str, ""), "reason": (str, "")}
        if kind == "violations":
            fields["violations"] = (list[Literal[ids]], Field(default_factory=list))  # type: ignore[valid-type]
        else:
            fields["satisfied"] = (bool, ...)
        verdict = create_model("Verdict", __config__=ConfigDict(extra="ignore"), **fields)
        outer: dict[str, Any] = {"weaknesses": (str, "")} if weakness_chars else {}
        outer["verdicts"] = (list[verdict], ...)
        model = create_model("Verdicts", __base__=_VerdictsBase, **outer)  # type: ignore[misc,arg-type]
    model.bounded_schema = schema
    model.n_units = n_units
    return model
