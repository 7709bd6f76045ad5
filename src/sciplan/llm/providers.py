"""The model providers: one registration each, naming everything sciplan needs to know.

Adding a provider is one backend module under `backends/` plus one `register(...)` line
here. The backend class is imported only when a model of that provider is made, so
`import sciplan.llm` stays fast and optional libraries load lazily.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sciplan.llm.backends.base import Backend

__all__ = ["Provider", "PROVIDERS", "register", "provider"]


@dataclass(frozen=True)
class Provider:
    """One provider: its prefix in model strings, what it is, and how to make its backend."""

    name: str
    description: str
    example: str
    backend: str  # "module:Class", imported on first use
    key_env: str | None = None
    default_concurrency: int = 8

    def backend_class(self) -> type[Backend]:
        """The backend class, imported now."""
        module, _, cls = self.backend.partition(":")
        backend: type[Backend] = getattr(importlib.import_module(module), cls)
        return backend


PROVIDERS: dict[str, Provider] = {}


def register(provider_: Provider) -> Provider:
    """Add a provider (a later registration of the same name replaces the earlier one)."""
    PROVIDERS[provider_.name] = provider_
    return provider_


def provider(name: str) -> Provider | None:
    """The provider registered under `name`, if any."""
    return PROVIDERS.get(name)


register(Provider(
    "local", "llama.cpp's server in a child process on a GGUF file (default: the bundled SmolLM2-135M)",
    "local:smollm2", "sciplan.llm.backends.local:LocalBackend", default_concurrency=1,
))
register(Provider(
    "openai", "any OpenAI-compatible server: vLLM, SGLang, llama.cpp server, OpenAI",
    "openai:Qwen/Qwen3-4B@http://127.0.0.1:8000/v1", "sciplan.llm.backends.openai:OpenAIBackend",
    key_env="OPENAI_API_KEY", default_concurrency=64,
))
register(Provider(
    "anthropic", "Anthropic Messages API", "anthropic:claude-sonnet-4-5",
    "sciplan.llm.backends.anthropic:AnthropicBackend", key_env="ANTHROPIC_API_KEY",
))
register(Provider(
    "gemini", "Google Gemini API", "gemini:gemini-2.5-pro", "sciplan.llm.backends.gemini:GeminiBackend",
    key_env="GEMINI_API_KEY",
))
register(Provider(
    "hf", "a local transformers model (folder, hub-format path, or GGUF file)", "hf:smollm2",
    "sciplan.llm.backends.transformers:TransformersBackend", default_concurrency=1,
))
