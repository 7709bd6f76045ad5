"""The HTTP backends against a real local server that fails on purpose."""

import pytest

from helpers.fault_server import FaultServer, ok_body
from helpers.net import free_port
from sciplan.llm import LLMError, MissingKeyError, Model, ModelSettings, RequestRejectedError, UnreachableError

FAST = dict(backoff_base=0.01, backoff_max=0.05, cache=False)
MSG = [{"role": "user", "content": "hello"}]


def model(spec, **kw):
    return Model(spec, ModelSettings(**{**FAST, **kw}))


async def test_recovers_from_429_500_garbage_and_drop():
    with FaultServer(["429", "500", "garbage", "drop", "ok"]) as srv:
        m = model(f"openai:test@{srv.url}")
        comp = await m.generate(MSG, max_tokens=5, seed=1)
        assert comp.text == "fine" and len(srv.requests) == 5
        assert comp.usage.prompt_tokens == 11 and comp.usage.cached_prompt_tokens == 8
        body = srv.requests[-1]["body"]
        assert body["max_tokens"] == 5 and body["seed"] == 1 and body["model"] == "test"
        await m.aclose()


async def test_slow_answers_time_out_and_are_retried():
    with FaultServer(["slow", "ok"], slow_seconds=3.0) as srv:
        m = model(f"openai:test@{srv.url}", timeout=0.5)
        comp = await m.generate(MSG)
        assert comp.text == "fine" and len(srv.requests) == 2
        await m.aclose()


async def test_persistent_failure_gives_a_clear_error():
    with FaultServer(["500"] * 3) as srv:
        m = model(f"openai:test@{srv.url}", max_retries=2)
        with pytest.raises(LLMError, match=r"HTTP 500 boom"):
            await m.generate(MSG)
        await m.aclose()


async def test_client_errors_are_not_retried():
    with FaultServer(["400", "ok"]) as srv:
        m = model(f"openai:test@{srv.url}")
        with pytest.raises(RequestRejectedError, match="context too long"):
            await m.generate(MSG)
        assert len(srv.requests) == 1
        await m.aclose()


async def test_unreachable_server_names_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    m = model(f"openai:test@{url}", max_retries=1)
    with pytest.raises(UnreachableError, match=url.replace(".", r"\.")):
        await m.generate(MSG)


def test_missing_keys_name_the_variable(monkeypatch):
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    for spec, var in [("openai:gpt-4o", "OPENAI_API_KEY"), ("anthropic:claude-sonnet-4-5", "ANTHROPIC_API_KEY"),
                      ("gemini:gemini-2.5-pro", "GEMINI_API_KEY")]:
        with pytest.raises(MissingKeyError, match=var):
            model(spec).check_ready()
    model("openai:qwen@http://127.0.0.1:1/v1").check_ready()  # self-hosted: no key needed


async def test_reasoning_field_becomes_thinking_and_json_schema_is_sent():
    with FaultServer([], ok_json=lambda path, body: ok_body('{"a": 1}', reasoning="because")) as srv:
        m = model(f"openai:test@{srv.url}")
        comp = await m.generate(MSG, json_schema={"type": "object"})
        assert comp.thinking == "because" and comp.text == '{"a": 1}'
        rf = srv.requests[0]["body"]["response_format"]
        assert rf["type"] == "json_schema" and rf["json_schema"]["schema"] == {"type": "object"}
        await m.aclose()


async def test_anthropic_shape(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")

    def answer(path, body):
        assert path == "/v1/messages"
        return {"content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Plan."}],
                "stop_reason": "max_tokens", "usage": {"input_tokens": 7, "output_tokens": 2, "cache_read_input_tokens": 4}}

    with FaultServer(["529", "ok"], ok_json=answer) as srv:
        m = model(f"anthropic:claude-test@{srv.root}")
        msgs = [{"role": "system", "content": "Be brief."}, *MSG]
        comp = await m.generate(msgs, max_tokens=9)
        assert (comp.text, comp.thinking, comp.finish_reason) == ("Plan.", "hmm", "length")
        assert comp.usage.prompt_tokens == 11 and comp.usage.cached_prompt_tokens == 4
        req = srv.requests[-1]
        assert req["body"]["system"] == "Be brief." and req["body"]["messages"] == MSG
        assert req["headers"]["x-api-key"] == "sk-test"
        await m.aclose()


async def test_gemini_shape(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "g-test")

    def answer(path, body):
        assert path == "/models/gemini-test:generateContent"
        return {"candidates": [{"content": {"parts": [{"text": "think", "thought": True}, {"text": "{}"}]},
                                "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1, "thoughtsTokenCount": 2}}

    with FaultServer(["503", "ok"], ok_json=answer) as srv:
        m = model(f"gemini:gemini-test@{srv.root}")
        comp = await m.generate([{"role": "system", "content": "S"}, *MSG], json_schema={"type": "object"}, seed=3)
        assert (comp.text, comp.thinking, comp.finish_reason) == ("{}", "think", "stop")
        assert comp.usage.completion_tokens == 3
        body = srv.requests[-1]["body"]
        assert body["systemInstruction"]["parts"][0]["text"] == "S"
        assert body["generationConfig"]["responseJsonSchema"] == {"type": "object"}
        assert body["generationConfig"]["seed"] == 3
        await m.aclose()
