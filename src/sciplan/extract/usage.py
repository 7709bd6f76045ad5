"""Tokens spent per paper: a metered view of a model that adds each call to the paper's meter.

The process-wide ledger sums usage by stage and model; papers are extracted
concurrently, so the tokens of one paper are counted through a context variable that
each paper's task sets (asyncio tasks inherit it), which makes "tokens spent per
accepted goal" exact, repairs and grader calls included.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

from sciplan.llm import Completion, Model, Request

__all__ = ["Meter", "MeteredModel", "metered", "metering"]


@dataclass
class Meter:
    """Calls and tokens of one unit of work (one paper)."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, comp: Completion) -> None:
        if comp.cached:
            self.cached += 1  # answered from the response cache: nothing spent
            return
        self.calls += 1
        self.prompt_tokens += comp.usage.prompt_tokens
        self.completion_tokens += comp.usage.completion_tokens

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return {"calls": self.calls, "cached": self.cached, "prompt": self.prompt_tokens,
                "completion": self.completion_tokens}


_current: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("sciplan_extract_meter", default=None)


@contextlib.contextmanager
def metering() -> Iterator[Meter]:
    """Count every metered call made inside the block (and the tasks it starts) into a new Meter."""
    meter = Meter()
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)


class MeteredModel(Model):
    """The same model (one shared state: backend, limits, cache, ledger) whose calls are metered."""

    def __init__(self, inner: Model) -> None:  # noqa: D107 - no Model.__init__: the state is shared
        # Sharing the instance dict keeps one limiter, cache and call count for both views.
        self.__dict__ = inner.__dict__

    async def complete(self, req: Request) -> Completion:
        comp = await super().complete(req)
        meter = _current.get()
        if meter is not None:
            meter.add(comp)
        return comp


def metered(model: Model) -> Model:
    """`model` with metering (itself if it is metered already)."""
    return model if isinstance(model, MeteredModel) else MeteredModel(model)
