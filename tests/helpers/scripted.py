"""A scripted backend for unit tests of logic: answers come from a list, not a model."""

from __future__ import annotations

from collections.abc import Callable

from sciplan.llm import Completion, Ledger, Model, ModelSettings, Request, Usage, parse_spec
from sciplan.llm.backends.base import Backend


class Scripted(Backend):
    """Each call takes the next script item: text is answered, an exception is raised.

    `respond(request)` may be given instead of a list, to answer by content.
    """

    default_structured = "json_schema"

    def __init__(self, spec, settings, script=None, respond: Callable[[Request], str] | None = None):
        super().__init__(spec, settings)
        self.script = list(script or [])
        self.respond = respond
        self.requests: list[Request] = []

    async def complete(self, request: Request) -> Completion:
        self.requests.append(request)
        item = self.respond(request) if self.respond else self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return Completion(text=item, usage=Usage(prompt_tokens=10, completion_tokens=5), finish_reason="stop")


def scripted_model(script=None, *, respond=None, spec: str = "openai:scripted@http://127.0.0.1:1/v1", **settings) -> Model:
    """A `Model` over a `Scripted` backend, fast backoff, no cache, its own ledger."""
    st = ModelSettings(**{"backoff_base": 0.001, "backoff_max": 0.01, "cache": False, **settings})
    parsed = parse_spec(spec)
    return Model(parsed, st, backend=Scripted(parsed, st, script, respond), cache=None, ledger_=Ledger())
