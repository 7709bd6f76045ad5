"""What a model call returns: `Completion`, its `Usage`, and the thinking/answer split."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field
from typing_extensions import TypedDict

__all__ = ["Message", "Usage", "Completion", "ThinkingSplit", "split_thinking"]


class Message(TypedDict):
    """One chat message, in the shape every chat API shares."""

    role: Literal["system", "user", "assistant"]
    content: str


class Usage(BaseModel):
    """Tokens of one call (or a sum of calls)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Prompt tokens served from the backend's prefix cache, when the backend says so.
    cached_prompt_tokens: int | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        cached = None
        if self.cached_prompt_tokens is not None or other.cached_prompt_tokens is not None:
            cached = (self.cached_prompt_tokens or 0) + (other.cached_prompt_tokens or 0)
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_prompt_tokens=cached,
        )


class Completion(BaseModel):
    """One model answer: the text with any thinking split off, usage and timing."""

    text: str
    thinking: str | None = None
    usage: Usage = Field(default_factory=Usage)
    finish_reason: str | None = None
    # Seconds from request to answer (of the original call when served from cache).
    latency: float = 0.0
    model: str = ""
    # True when this answer came from the on-disk cache (no model call was made).
    cached: bool = False
    # True when a `<think>` block was opened and never closed (e.g. cut by max_tokens).
    thinking_unterminated: bool = False


@dataclass(frozen=True)
class ThinkingSplit:
    """A completion's text split into thinking and the final answer."""

    thinking: str | None
    answer: str
    unterminated: bool = False


_OPEN = re.compile(r"<think(?:ing)?>", re.IGNORECASE)
_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)


def split_thinking(text: str, reasoning: str | None = None) -> ThinkingSplit:
    """Split `<think>…</think>` (or a backend's separate reasoning field) from the answer.

    Handles the three shapes models produce: a full `<think>…</think>` block; only a
    closing tag (the chat template opened the block in the prompt, as Qwen3 does); and
    an opening tag never closed, which marks the thinking unterminated and leaves no
    answer.
    """
    if reasoning:
        # The backend already separated the reasoning; strip a stray block anyway.
        inner = split_thinking(text)
        thinking = reasoning.strip()
        if inner.thinking:
            thinking = f"{thinking}\n{inner.thinking}"
        return ThinkingSplit(thinking, inner.answer, inner.unterminated)
    close = _CLOSE.search(text)
    if close:
        # An opening tag, if any, must come before the first closing one.
        opened = _OPEN.search(text, 0, close.start())
        start = opened.end() if opened else 0
        return ThinkingSplit(text[start : close.start()].strip(), text[close.end() :].strip())
    opened = _OPEN.search(text)
    if opened:
        before = text[: opened.start()].strip()
        return ThinkingSplit(text[opened.end() :].strip(), before, unterminated=True)
    return ThinkingSplit(None, text.strip())
