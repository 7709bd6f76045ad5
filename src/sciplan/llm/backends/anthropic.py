"""Anthropic's Messages API."""

from __future__ import annotations

from typing import Any

from sciplan.llm.backends.http import HttpBackend
from sciplan.llm.completion import Completion, Usage
from sciplan.llm.errors import RetryableError
from sciplan.llm.request import Request

__all__ = ["AnthropicBackend"]

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "refusal": "content_filter"}


class AnthropicBackend(HttpBackend):
    """`anthropic:MODEL[@BASE_URL]`, key in `$ANTHROPIC_API_KEY`."""

    default_base_url = "https://api.anthropic.com"
    key_env = "ANTHROPIC_API_KEY"
    default_structured = "prompt"

    def build_body(self, req: Request) -> dict[str, Any]:
        """The Messages API body: system messages lifted to the top-level field."""
        system = "\n\n".join(m["content"] for m in req.messages if m["role"] == "system")
        body: dict[str, Any] = {
            "model": self.spec.name,
            "max_tokens": req.max_tokens,
            "messages": [{"role": m["role"], "content": m["content"]} for m in req.messages if m["role"] != "system"],
            "temperature": req.temperature,
        }
        if system:
            body["system"] = system
        if req.top_p is not None:
            body["top_p"] = req.top_p
        if req.stop:
            body["stop_sequences"] = req.stop
        body.update(self.settings.extra_body)
        body.update(req.extra)
        return body

    async def complete(self, request: Request) -> Completion:
        headers = {"x-api-key": self.api_key() or "", "anthropic-version": "2023-06-01"}
        data = await self.post_json(f"{self.base_url}/v1/messages", self.build_body(request), headers)
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise RetryableError(f"{self.spec}: answer has no content ({str(data)[:120]})")
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
        thinking = "\n".join(b.get("thinking", "") for b in blocks if b.get("type") == "thinking") or None
        u = data.get("usage") or {}
        usage = Usage(
            prompt_tokens=int(u.get("input_tokens") or 0) + int(u.get("cache_read_input_tokens") or 0),
            completion_tokens=int(u.get("output_tokens") or 0),
            cached_prompt_tokens=u.get("cache_read_input_tokens"),
        )
        stop = data.get("stop_reason")
        finish = _FINISH.get(stop, stop) if isinstance(stop, str) else None
        return Completion(text=text, thinking=thinking, usage=usage, finish_reason=finish, model=str(self.spec))
