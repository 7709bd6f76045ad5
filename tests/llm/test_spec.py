import pytest

from sciplan.llm import ModelSettings, UnknownProviderError, parse_spec, price_for


def test_parse_provider_model_and_url():
    s = parse_spec("openai:Qwen/Qwen3-4B@http://127.0.0.1:8000/v1/")
    assert (s.provider, s.name, s.base_url) == ("openai", "Qwen/Qwen3-4B", "http://127.0.0.1:8000/v1")
    assert str(s) == "openai:Qwen/Qwen3-4B@http://127.0.0.1:8000/v1"
    assert parse_spec("openai:qwen3:30b").name == "qwen3:30b"  # colons in names survive
    assert parse_spec("local:smollm2").base_url is None


def test_unknown_provider_names_the_known_ones():
    with pytest.raises(UnknownProviderError) as e:
        parse_spec("mistral:large")
    for p in ("local", "openai", "anthropic", "gemini", "hf"):
        assert p in str(e.value)


@pytest.mark.parametrize("bad", ["smollm2", "openai:", ""])
def test_malformed_specs(bad):
    with pytest.raises(UnknownProviderError):
        parse_spec(bad)


def test_prices():
    st = ModelSettings()
    assert price_for(parse_spec("anthropic:claude-sonnet-4-5"), st) == (3.0, 15.0)
    assert price_for(parse_spec("openai:gpt-4o-mini"), st) == (0.15, 0.6)  # longest prefix wins
    assert price_for(parse_spec("openai:gpt-4o@http://127.0.0.1:8000/v1"), st) == (0.0, 0.0)
    assert price_for(parse_spec("local:smollm2"), ModelSettings(price_input=1, price_output=2)) == (1, 2)
