"""The backend interface every provider implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal

from sciplan.llm.completion import Completion
from sciplan.llm.request import Request
from sciplan.llm.spec import ModelSettings, ModelSpec

__all__ = ["Backend", "StructuredMode"]

StructuredMode = Literal["json_schema", "json_object", "prompt"]


class Backend(ABC):
    """Turns one request into one raw completion.

    A backend returns the model's text as produced (any `<think>` block left in it) and
    puts a separate reasoning field, when the API has one, into `Completion.thinking`;
    `Model` splits and times it. Transient failures raise `RetryableError`; `Model`
    retries them.
    """

    # Runs in this process (threads, not sockets): no request timeout applies.
    in_process: bool = False
    # How this backend asks for JSON when the settings say "auto".
    default_structured: StructuredMode = "prompt"

    def __init__(self, spec: ModelSpec, settings: ModelSettings) -> None:
        self.spec = spec
        self.settings = settings

    @abstractmethod
    async def complete(self, request: Request) -> Completion:
        """Send one request; return the raw completion."""

    def endpoint(self) -> str:
        """Where requests go, for error messages."""
        return str(self.spec)

    def context_window(self) -> int | None:
        """Tokens one request may hold (prompt and answer), when the backend knows it."""
        return None

    def check_ready(self) -> None:  # noqa: B027 - optional hook: most backends have nothing to check
        """Raise a clear error now if the backend cannot work (missing key, library, file)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections or models."""
