"""The `openai:` backend against a real llama.cpp server (`python -m sciplan.llm.server`) on 127.0.0.1."""

import asyncio

import httpx
from pydantic import BaseModel, Field

from sciplan.llm import Model, ModelSettings


class Verdict(BaseModel):
    satisfied: bool
    reason: str = Field(max_length=200)


async def test_generate_through_openai_compatible_server(llama_server):
    m = Model(f"openai:smollm2@{llama_server}", ModelSettings(cache=False))
    comp = await m.generate([{"role": "user", "content": "Say hello."}], max_tokens=16)
    assert comp.text.strip() and comp.usage.completion_tokens > 0 and comp.finish_reason in ("stop", "length")
    await m.aclose()


async def test_structured_output_through_the_server(llama_server):
    # llama.cpp's own server takes response_format json_schema: no fallback is needed.
    m = Model(f"openai:smollm2@{llama_server}", ModelSettings(cache=False))
    res = await m.generate_structured(
        [{"role": "user", "content": "Does 'measure plant height weekly' describe a measurement? Answer as JSON."}],
        Verdict,
        max_tokens=120,
    )
    assert res.ok, res.error
    assert not m.backend._json_object_only
    await m.aclose()


async def test_concurrent_requests_all_answer(llama_server):
    m = Model(f"openai:smollm2@{llama_server}", ModelSettings(cache=False, max_concurrency=4))
    comps = await asyncio.gather(
        *(m.generate([{"role": "user", "content": f"Count to {i}."}], max_tokens=8) for i in range(2, 6))
    )
    assert all(c.usage.completion_tokens > 0 for c in comps) and m.calls == 4
    await m.aclose()


def test_server_lists_the_model(llama_server):
    data = httpx.get(f"{llama_server}/models", timeout=5).json()
    assert data["data"]
