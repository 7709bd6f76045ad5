"""Errors of the model layer. Each message names what is at fault."""

from __future__ import annotations

from sciplan.errors import SciplanError

__all__ = [
    "LLMError",
    "UnknownProviderError",
    "MissingKeyError",
    "UnreachableError",
    "RequestRejectedError",
    "RetryableError",
    "BackendUnavailableError",
    "LocalServerCrashedError",
    "FATAL_ERRORS",
]


class LLMError(SciplanError):
    """A model call that failed for good (after any retries)."""


class UnknownProviderError(LLMError):
    """A model string names a provider sciplan does not know."""


class MissingKeyError(LLMError):
    """The API key's environment variable is not set."""


class BackendUnavailableError(LLMError):
    """The backend's library or model file is not installed."""


class LocalServerCrashedError(LLMError):
    """The local model server (a child process) died or hung; the message names the cause and the fix."""

    def __init__(self, message: str, *, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


class UnreachableError(LLMError):
    """The server could not be reached after retries."""


class RequestRejectedError(LLMError):
    """The server answered with a non-retryable error (400, 401, 403, 404, ...)."""


class RetryableError(LLMError):
    """A transient failure (429, 5xx, timeout, dropped connection, garbage body).

    `kind` says which: "status", "timeout", "connect" (nothing answered), "dropped"
    or "garbage"; `retry_after` is the server's Retry-After hint in seconds, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "status",
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after
        self.status = status


# Errors that end a whole stage rather than one record: every later call would fail the
# same way (no server, no key, no library, a model server that crashed), so the stage
# stops, is recorded as failed, and a rerun resumes it.
FATAL_ERRORS: tuple[type[LLMError], ...] = (
    UnreachableError, MissingKeyError, BackendUnavailableError, UnknownProviderError, LocalServerCrashedError,
)
