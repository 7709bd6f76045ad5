"""The bundled model in-process through llama-cpp-python (real model, no fakes)."""

from pydantic import BaseModel, Field

from sciplan.llm import Ledger, Model, ModelSettings, ResponseCache, get_model

MSG = [{"role": "user", "content": "Name one planet of the solar system."}]


async def test_generates_text_with_usage_and_timing():
    m = get_model("local:smollm2", ModelSettings(cache=False))
    comp = await m.generate(MSG, max_tokens=24)
    assert comp.text.strip()
    assert comp.usage.prompt_tokens > 5 and 0 < comp.usage.completion_tokens <= 24
    assert comp.finish_reason in ("stop", "length") and comp.latency > 0
    assert comp.model == "local:smollm2" and not comp.cached


async def test_seeded_sampling_is_reproducible():
    m = get_model("local:smollm2", ModelSettings(cache=False))
    a = await m.generate(MSG, max_tokens=20, temperature=1.0, seed=7)
    b = await m.generate(MSG, max_tokens=20, temperature=1.0, seed=7)
    assert a.text == b.text


class Idea(BaseModel):
    title: str = Field(max_length=80)
    steps: list[str] = Field(max_length=3)
    feasible: bool


async def test_json_schema_constrains_output():
    m = get_model("local:smollm2", ModelSettings(cache=False))
    res = await m.generate_structured(
        [{"role": "user", "content": "Propose an experiment on plant growth as JSON with a title, up to 3 steps, and feasible."}],
        Idea,
        max_tokens=200,
    )
    assert res.ok, res.error
    assert isinstance(res.value, Idea) and len(res.value.steps) <= 3


async def test_rerun_is_served_from_cache_with_zero_calls(tmp_path):
    settings = ModelSettings(cache_path=tmp_path / "cache.sqlite")
    first = Model("local:smollm2", settings, ledger_=Ledger())
    a = await first.generate(MSG, max_tokens=16)
    assert first.calls == 1
    rerun = Model("local:smollm2", settings, ledger_=Ledger(), cache=ResponseCache(tmp_path / "cache.sqlite"))
    b = await rerun.generate(MSG, max_tokens=16)
    assert rerun.calls == 0 and b.cached and b.text == a.text
    assert rerun.ledger.total().cache_hits == 1
