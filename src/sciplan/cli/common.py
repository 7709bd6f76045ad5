"""Helpers shared by the sub-commands: running async stages, model options."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer

from sciplan.llm import ModelSettings, close_models

__all__ = ["run_async", "model_settings", "NO_CACHE", "TIMEOUT", "RETRIES"]

T = TypeVar("T")

NO_CACHE = typer.Option(False, "--no-cache", help="Do not read or write the response cache.")
TIMEOUT = typer.Option(600.0, "--timeout", help="Seconds one request may take.")
RETRIES = typer.Option(6, "--retries", help="Retries on 429, 5xx, timeouts and dropped connections.")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a stage's coroutine, then close every model's connections on the same loop."""

    async def main() -> T:
        try:
            return await coro
        finally:
            await close_models()

    return asyncio.run(main())


def model_settings(*, no_cache: bool = False, timeout: float = 600.0, retries: int = 6) -> ModelSettings:
    """Model settings from the common command-line options."""
    return ModelSettings(cache=not no_cache, timeout=timeout, max_retries=retries)
