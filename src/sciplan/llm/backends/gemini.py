"""Google's Gemini API (generateContent)."""

from __future__ import annotations

import os
from typing import Any

from sciplan.llm.backends.http import HttpBackend
from sciplan.llm.completion import Completion, Usage
from sciplan.llm.errors import RetryableError
from sciplan.llm.request import Request

__all__ = ["GeminiBackend"]

_FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content_filter", "RECITATION": "content_filter"}


class GeminiBackend(HttpBackend):
    """`gemini:MODEL[@BASE_URL]`, key in `$GEMINI_API_KEY` (or `$GOOGLE_API_KEY`)."""

    default_base_url = "https://generativelanguage.googleapis.com/v1beta"
    key_env = "GEMINI_API_KEY"
    default_structured = "json_schema"

    def key_env_name(self) -> str | None:
        if self.settings.api_key_env:
            return self.settings.api_key_env
        if not os.environ.get("GEMINI_API_KEY") and os.environ.get("GOOGLE_API_KEY"):
            return "GOOGLE_API_KEY"
        return "GEMINI_API_KEY"

    def build_body(self, req: Request) -> dict[str, Any]:
        """The generateContent body: roles mapped, system lifted, JSON schema native."""
        system = "\n\n".join(m["content"] for m in req.messages if m["role"] == "system")
        contents = [
            {"role": "model" if m["role"] == "assistant" else "user", "parts": [{"text": m["content"]}]}
            for m in req.messages
            if m["role"] != "system"
        ]
        config: dict[str, Any] = {"maxOutputTokens": req.max_tokens, "temperature": req.temperature}
        if req.seed is not None:
            config["seed"] = req.seed
        if req.top_p is not None:
            config["topP"] = req.top_p
        if req.stop:
            config["stopSequences"] = req.stop
        mode = self.settings.structured if self.settings.structured != "auto" else self.default_structured
        if req.json_schema is not None and mode != "prompt":
            config["responseMimeType"] = "application/json"
            if mode == "json_schema":
                config["responseJsonSchema"] = req.json_schema
        body: dict[str, Any] = {"contents": contents, "generationConfig": config}
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        body.update(self.settings.extra_body)
        body.update(req.extra)
        return body

    async def complete(self, request: Request) -> Completion:
        headers = {"x-goog-api-key": self.api_key() or ""}
        url = f"{self.base_url}/models/{self.spec.name}:generateContent"
        data = await self.post_json(url, self.build_body(request), headers)
        try:
            cand = data["candidates"][0]
        except (KeyError, IndexError, TypeError):
            raise RetryableError(f"{self.spec}: answer has no candidates ({str(data)[:120]})") from None
        parts = (cand.get("content") or {}).get("parts") or []
        text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
        thinking = "".join(p.get("text", "") for p in parts if p.get("thought")) or None
        u = data.get("usageMetadata") or {}
        usage = Usage(
            prompt_tokens=int(u.get("promptTokenCount") or 0),
            completion_tokens=int(u.get("candidatesTokenCount") or 0) + int(u.get("thoughtsTokenCount") or 0),
            cached_prompt_tokens=u.get("cachedContentTokenCount"),
        )
        reason = cand.get("finishReason")
        finish = _FINISH.get(reason, reason)
        return Completion(text=text, thinking=thinking, usage=usage, finish_reason=finish, model=str(self.spec))
