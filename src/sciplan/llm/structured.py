"""Structured output: pydantic models as JSON schemas, and robust JSON extraction."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from sciplan.llm.completion import Completion, Message

__all__ = ["BoundedAnswer", "Structured", "json_schema_for", "extract_json", "parse_output", "schema_instruction"]

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


@dataclass
class Structured(Generic[T]):
    """The result of a structured call: a validated value, or the reason there is none."""

    value: T | None
    completion: Completion | None
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.value is not None


class BoundedAnswer(BaseModel):
    """An answer model that sends a strict, bounded schema for decoding and validates tolerantly.

    Subclasses set `bounded_schema` (arrays with maxItems, enums, capped strings) so that
    constrained decoding cannot ramble; the pydantic fields that parse the answer may
    accept more, to repair what prompt-only backends produce.
    """

    model_config = ConfigDict(extra="ignore")
    bounded_schema: ClassVar[dict[str, Any]] = {}
    n_units: ClassVar[int] = 0

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return copy.deepcopy(cls.bounded_schema)


def json_schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of a pydantic model, as backends and grammars accept it."""
    return model.model_json_schema()


def schema_instruction(schema: dict[str, Any]) -> str:
    """The instruction appended to a prompt for backends without native JSON output."""
    return (
        "Answer with a single JSON object and nothing else (no prose, no code fence). "
        "It must match this JSON schema:\n" + json.dumps(schema, ensure_ascii=False)
    )


def extract_json(text: str) -> Any:
    """The first JSON value found in model text: whole text, a fenced block, or embedded.

    Raises ValueError naming what was wrong when no JSON value can be found.
    """
    stripped = text.strip()
    if not stripped:
        raise ValueError("empty answer")
    # strict=False: accept raw control characters (newlines) inside strings, which
    # small models emit even under llama.cpp's JSON grammar.
    try:
        return json.loads(stripped, strict=False)
    except ValueError:
        pass
    for block in _FENCE.findall(text):
        try:
            return json.loads(block.strip(), strict=False)
        except ValueError:
            continue
    decoder = json.JSONDecoder(strict=False)
    for match in re.finditer(r"[{\[]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, (dict, list)):
            return value
    raise ValueError(f"no JSON object in the answer (starts {stripped[:80]!r})")


def parse_output(text: str, output: type[T]) -> T:
    """Extract and validate `output` from model text; raises ValueError with a short reason."""
    data = extract_json(text)
    if isinstance(data, list) and len(output.model_fields) == 1:
        # A model often answers {"items": [...]} as the bare list: accept it.
        data = {next(iter(output.model_fields)): data}
    try:
        return output.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise ValueError(f"does not match {output.__name__}: {problems}") from None


def repair_turn(messages: list[Message], comp: Completion, error: str, max_tokens: int,
                ask: str) -> tuple[list[Message], str]:
    """The conversation with an invalid answer shown back and what was wrong; the error as reported.

    A new message also changes the cache key, so the repaired call is not served the same answer.
    """
    if comp.finish_reason == "length":
        error += f" (answer cut at max_tokens={max_tokens})"
    turn: list[Message] = [
        {"role": "assistant", "content": comp.text[:4000]},
        {"role": "user", "content": f"That answer is invalid: {error}. {ask}"},
    ]
    return [*messages, *turn], error
