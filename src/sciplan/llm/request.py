"""One request to a model, as every backend receives it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field

from sciplan.llm.completion import Message

__all__ = ["Request"]


class Request(BaseModel):
    """The messages and sampling parameters of one call."""

    messages: list[Message]
    max_tokens: int = 1024
    temperature: float = 0.0
    seed: int | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    json_schema: dict[str, Any] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def cacheable(self) -> bool:
        """Greedy or seeded calls are reproducible; unseeded sampling must not be cached."""
        return self.temperature == 0 or self.seed is not None

    def cache_key(self, model: str) -> str:
        """A digest of the model and everything that changes the answer."""
        blob = json.dumps({"model": model, **self.model_dump()}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def prompt_chars(self) -> int:
        return sum(len(m["content"]) for m in self.messages)
