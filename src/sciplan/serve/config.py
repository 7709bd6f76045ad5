"""`ServeConfig`: how the reward service listens, batches, bounds and protects its work."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ServeConfig"]


class ServeConfig(BaseModel):
    """Settings of `sciplan serve reward` (every field is also a command-line option)."""

    model_config = ConfigDict(extra="forbid")

    # Loopback by default: a reward service is not meant to face the internet.
    host: str = "127.0.0.1"
    port: int = Field(8100, ge=0, le=65535)
    # Optional bearer token; when set every endpoint but /health asks for it.
    token: str | None = None
    # One global cap on goal groups being graded at once (each group is one or more grader
    # calls); the grader model's own `max_concurrency` caps its calls under this.
    max_concurrency: int = Field(64, ge=1)
    # Completions waiting or being graded; past this a request is refused with 503 at once.
    max_queue: int = Field(4096, ge=1)
    # Seconds a request may take; past it the answer is 504 (the grading goes on for the cache).
    deadline: float = Field(600.0, gt=0)
    # Completions of one goal arriving within this many seconds are graded as one group.
    batch_window: float = Field(0.02, ge=0)
    # Input bounds: a completion longer than this is refused with 413, as is a larger body.
    max_completion_chars: int = Field(200_000, ge=1)
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    max_completions: int = Field(4096, ge=1)
    # Latencies kept for the percentiles in /metrics.
    latency_window: int = Field(10_000, ge=10)
