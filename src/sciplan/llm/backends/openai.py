"""OpenAI-compatible chat completions: vLLM, SGLang, llama.cpp's server, OpenAI."""

from __future__ import annotations

import os
from typing import Any

from sciplan.llm.backends.http import HttpBackend
from sciplan.llm.completion import Completion, Usage
from sciplan.llm.errors import RequestRejectedError, RetryableError
from sciplan.llm.request import Request
from sciplan.llm.spec import ModelSettings, ModelSpec

__all__ = ["OpenAIBackend"]

OPENAI_URL = "https://api.openai.com/v1"


class OpenAIBackend(HttpBackend):
    """`openai:MODEL[@BASE_URL]`. Without a base URL: `$OPENAI_BASE_URL` or OpenAI itself."""

    default_structured = "json_schema"
    key_env = "OPENAI_API_KEY"

    def __init__(self, spec: ModelSpec, settings: ModelSettings) -> None:
        super().__init__(spec, settings)
        if not spec.base_url:
            self.base_url = os.environ.get("OPENAI_BASE_URL", OPENAI_URL).rstrip("/")
        # Set once a server refuses response_format "json_schema" (llama.cpp's server
        # knows only "json_object" with a schema); later calls go straight to that.
        self._json_object_only = False

    def structured_mode(self) -> str:
        mode = self.settings.structured if self.settings.structured != "auto" else self.default_structured
        return "json_object" if (mode == "json_schema" and self._json_object_only) else mode

    @property
    def is_openai(self) -> bool:
        return "api.openai.com" in self.base_url

    def key_required(self) -> bool:
        # Self-hosted servers usually need no key; send one if it is set.
        return self.is_openai

    def build_body(self, req: Request) -> dict[str, Any]:
        """The request body, in the OpenAI chat-completions shape."""
        body: dict[str, Any] = {"model": self.spec.name, "messages": list(req.messages), "temperature": req.temperature}
        # OpenAI's newer models take max_completion_tokens; servers take max_tokens.
        body["max_completion_tokens" if self.is_openai else "max_tokens"] = req.max_tokens
        if req.seed is not None:
            body["seed"] = req.seed
        if req.top_p is not None:
            body["top_p"] = req.top_p
        if req.stop:
            body["stop"] = req.stop
        if req.json_schema is not None:
            mode = self.structured_mode()
            if mode == "json_schema":
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": req.json_schema, "strict": False},
                }
            elif mode == "json_object":
                body["response_format"] = {"type": "json_object", "schema": req.json_schema}
        body.update(self.settings.extra_body)
        body.update(req.extra)
        return body

    async def complete(self, request: Request) -> Completion:
        headers = {}
        key = self.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = f"{self.base_url}/chat/completions"
        try:
            data = await self.post_json(url, self.build_body(request), headers)
        except (RequestRejectedError, RetryableError) as exc:
            # llama-cpp-python's server answers an unknown response_format with a 500
            # that names the field; others answer 400/422.
            refused = isinstance(exc, RequestRejectedError) or "response_format" in str(exc)
            if not refused or request.json_schema is None or self.structured_mode() != "json_schema" \
                    or self.settings.structured != "auto":
                raise
            self._json_object_only = True
            data = await self.post_json(url, self.build_body(request), headers)
        return parse_chat_completion(data, str(self.spec))


def parse_chat_completion(data: dict[str, Any], model: str) -> Completion:
    """A chat-completions JSON body as a raw `Completion` (reasoning fields kept apart)."""
    try:
        choice = data["choices"][0]
        msg = choice.get("message") or {}
    except (KeyError, IndexError, TypeError):
        raise RetryableError(f"{model}: answer has no choices ({str(data)[:120]})") from None
    text = msg.get("content") or ""
    # vLLM and DeepSeek put reasoning in reasoning_content; others in reasoning.
    reasoning = msg.get("reasoning_content") or msg.get("reasoning") or None
    u = data.get("usage") or {}
    details = u.get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    usage = Usage(
        prompt_tokens=int(u.get("prompt_tokens") or 0),
        completion_tokens=int(u.get("completion_tokens") or 0),
        cached_prompt_tokens=int(cached) if cached is not None else None,
    )
    return Completion(
        text=text,
        thinking=reasoning if isinstance(reasoning, str) else None,
        usage=usage,
        finish_reason=choice.get("finish_reason"),
        model=model,
    )
