"""Model strings (`provider:model[@base_url]`) and the settings for calling a model."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from sciplan.llm.errors import UnknownProviderError
from sciplan.llm.providers import PROVIDERS

__all__ = ["PROVIDERS", "ModelSpec", "ModelSettings", "parse_spec", "DEFAULT_MODEL"]

DEFAULT_MODEL = "local:smollm2"

@dataclass(frozen=True)
class ModelSpec:
    """A parsed model string."""

    provider: str
    name: str
    base_url: str | None = None

    def __str__(self) -> str:
        return f"{self.provider}:{self.name}" + (f"@{self.base_url}" if self.base_url else "")


def parse_spec(spec: str) -> ModelSpec:
    """Parse `provider:model[@base_url]`; an unknown provider names the known ones."""
    spec = spec.strip()
    provider, sep, rest = spec.partition(":")
    if not sep or not rest:
        known = ", ".join(PROVIDERS)
        raise UnknownProviderError(
            f"model {spec!r} has no provider: write PROVIDER:MODEL with PROVIDER one of {known} "
            f"(e.g. {PROVIDERS['openai'].example})"
        )
    provider = provider.lower()
    if provider not in PROVIDERS:
        known = ", ".join(PROVIDERS)
        raise UnknownProviderError(f"unknown provider {provider!r} in model {spec!r}: known providers are {known}")
    name, base_url = rest, None
    for scheme in ("@https://", "@http://"):
        at = rest.rfind(scheme)
        if at >= 0:
            name, base_url = rest[:at], rest[at + 1 :].rstrip("/")
            break
    if not name:
        raise UnknownProviderError(f"model {spec!r} names no model after {provider}:")
    return ModelSpec(provider, name, base_url)


class ModelSettings(BaseModel):
    """How to call one model: limits, retries, timeouts, cache, and backend options."""

    # Requests in flight at once for this model (None: the backend's default).
    max_concurrency: int | None = None
    # Rate limits; None means unlimited.
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    # Seconds one request may take before it is abandoned and retried.
    timeout: float = 600.0
    max_retries: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    # On-disk response cache.
    cache: bool = True
    cache_path: Path | None = None
    # Environment variable that holds the API key (None: the provider's usual one).
    api_key_env: str | None = None
    # How to ask for JSON: native schema, JSON mode plus schema, or instructions only.
    structured: Literal["auto", "json_schema", "json_object", "prompt"] = "auto"
    # Re-asks when structured output fails validation.
    structured_retries: int = 2
    # Local backends (llama.cpp, transformers).
    n_ctx: int = 8192
    n_threads: int | None = None
    # The local server's host-memory prompt cache (llama.cpp's default, 8 GiB, would fill up).
    cache_ram_mib: int = 256
    # Price per million tokens (USD), overriding sciplan's price table.
    price_input: float | None = None
    price_output: float | None = None
    # Passed through into the request body (e.g. vLLM's chat_template_kwargs).
    extra_body: dict[str, Any] = Field(default_factory=dict)

    def concurrency_for(self, provider: str) -> int:
        registered = PROVIDERS.get(provider)
        return self.max_concurrency or (registered.default_concurrency if registered else 8)

    def resolved_cache_path(self) -> Path:
        if self.cache_path is not None:
            return self.cache_path
        env = os.environ.get("SCIPLAN_CACHE")
        if env:
            return Path(env)
        return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "sciplan" / "llm-cache.sqlite"

    def cache_enabled(self) -> bool:
        return self.cache and os.environ.get("SCIPLAN_NO_CACHE", "") in ("", "0")
