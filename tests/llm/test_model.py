"""The Model's logic (cache, retries, structured repair) with a scripted backend."""

import pytest
from pydantic import BaseModel

from helpers.scripted import scripted_model
from sciplan.llm import (
    LLMError,
    RequestRejectedError,
    ResponseCache,
    RetryableError,
    UnreachableError,
    stage,
)


def make(script, tmp_path=None, **settings):
    model = scripted_model(script, **settings)
    if tmp_path is not None:
        model.cache = ResponseCache(tmp_path / "cache.sqlite")
    return model, model.backend


MSG = [{"role": "user", "content": "hello"}]


async def test_retries_transient_errors_then_succeeds():
    model, backend = make([RetryableError("429", status=429), RetryableError("garbage", kind="garbage"), "ok"])
    comp = await model.generate(MSG)
    assert comp.text == "ok" and len(backend.requests) == 3 and model.calls == 1


async def test_gives_up_after_max_retries_with_clear_error():
    model, _ = make([RetryableError("HTTP 500", status=500)] * 3, max_retries=2)
    with pytest.raises(LLMError, match="after 3 attempts"):
        await model.generate(MSG)
    assert model.ledger.total().failures == 1


async def test_connection_failures_become_unreachable_naming_the_url():
    refused = RetryableError("http://127.0.0.1:1/v1/chat/completions: connection failed", kind="connect")
    model, _ = make([refused] * 2, max_retries=1)
    with pytest.raises(UnreachableError, match="127.0.0.1:1"):
        await model.generate(MSG)


async def test_rejected_requests_are_not_retried():
    model, backend = make([RequestRejectedError("HTTP 400 bad"), "never"])
    with pytest.raises(RequestRejectedError):
        await model.generate(MSG)
    assert len(backend.requests) == 1


async def test_cache_makes_reruns_free(tmp_path):
    model, backend = make(["first"], tmp_path)
    with stage("s1"):
        a = await model.generate(MSG, max_tokens=7)
        b = await model.generate(MSG, max_tokens=7)
    assert a.text == b.text == "first" and b.cached and len(backend.requests) == 1
    row = model.ledger.rows()[0]
    assert (row.stage, row.calls, row.cache_hits, row.usage.prompt_tokens) == ("s1", 1, 1, 10)
    # A fresh Model on the same cache file (a rerun of the stage) makes zero calls.
    model2, backend2 = make([], tmp_path)
    assert (await model2.generate(MSG, max_tokens=7)).text == "first" and backend2.requests == []


async def test_unseeded_sampling_bypasses_cache(tmp_path):
    model, backend = make(["a", "b"], tmp_path)
    await model.generate(MSG, temperature=1.0)
    await model.generate(MSG, temperature=1.0)
    assert len(backend.requests) == 2


async def test_thinking_is_split_from_the_answer():
    model, _ = make(["<think>hmm</think>Final"])
    comp = await model.generate(MSG)
    assert (comp.text, comp.thinking, comp.thinking_unterminated) == ("Final", "hmm", False)


class Out(BaseModel):
    answer: int


async def test_structured_repairs_then_validates():
    model, backend = make(["not json", '{"answer": "x"}', '{"answer": 3}'])
    res = await model.generate_structured(MSG, Out)
    assert res.ok and res.value.answer == 3 and res.attempts == 3
    # The schema went to the backend, and the repair turn showed the model its error.
    assert backend.requests[0].json_schema["properties"]["answer"]["type"] == "integer"
    assert "invalid" in backend.requests[1].messages[-1]["content"]


async def test_structured_failure_is_returned_not_raised():
    model, _ = make(["nope", "still nope"])
    res = await model.generate_structured(MSG, Out, retries=1)
    assert not res.ok and res.value is None and "no JSON" in res.error and res.attempts == 2


async def test_prompt_mode_puts_schema_in_the_prompt():
    model, backend = make(['{"answer": 1}'], structured="prompt")
    res = await model.generate_structured(MSG, Out)
    assert res.ok and backend.requests[0].json_schema is None
    assert "JSON schema" in backend.requests[0].messages[-1]["content"]
