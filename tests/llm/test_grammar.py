"""Schemas are made safe for llama.cpp's grammar sampler before the call."""

import pytest
from pydantic import BaseModel, Field

from sciplan.llm import Ledger, Model, ModelSettings, RequestRejectedError
from sciplan.llm.grammar import GRAMMAR_MAX_CHARS, grammar_safe_schema


def test_impossible_bounds_are_refused_naming_the_field():
    schema = {"type": "object", "properties": {"reason": {"type": "string", "minLength": 50, "maxLength": 10}}}
    with pytest.raises(RequestRejectedError, match=r"\$\.properties\.reason: minLength=50 exceeds maxLength=10"):
        grammar_safe_schema(schema)
    with pytest.raises(RequestRejectedError, match="minItems=4 exceeds maxItems=2"):
        grammar_safe_schema({"type": "array", "minItems": 4, "maxItems": 2})


def test_long_string_bounds_are_relaxed_and_short_ones_kept():
    schema = {"type": "object", "properties": {
        "goal": {"type": "string", "minLength": 600, "maxLength": 3000},
        "item": {"type": "string", "maxLength": 80},
        "items": {"type": "array", "items": {"type": "string", "maxLength": 1200}, "maxItems": 15},
    }}
    safe = grammar_safe_schema(schema)
    assert safe["properties"]["goal"] == {"type": "string", "minLength": GRAMMAR_MAX_CHARS}
    assert safe["properties"]["item"] == {"type": "string", "maxLength": 80}
    assert safe["properties"]["items"] == {"type": "array", "items": {"type": "string"}, "maxItems": 15}
    assert schema["properties"]["goal"]["maxLength"] == 3000  # the caller's schema is untouched


class Impossible(BaseModel):
    reason: str = Field(min_length=50, max_length=10)


@pytest.mark.model
async def test_a_schema_the_backend_cannot_meet_is_a_clear_failure_and_the_server_goes_on():
    model = Model("local:smollm2", ModelSettings(cache=False, n_ctx=1024), ledger_=Ledger())
    res = await model.generate_structured([{"role": "user", "content": "Why?"}], Impossible, max_tokens=20)
    assert not res.ok and "minLength=50 exceeds maxLength=10" in res.error
    after = await model.generate([{"role": "user", "content": "Say yes."}], max_tokens=2)
    assert after.usage.completion_tokens > 0
    await model.aclose()
