"""Helpers shared by the sub-commands: running async stages, model options."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import BaseModel
from rich.markup import escape

from sciplan.cli.console import console
from sciplan.errors import SciplanError
from sciplan.jsonl import JsonlReport, read_records
from sciplan.llm import ModelSettings, close_models

__all__ = ["run_async", "model_settings", "read_input", "NO_CACHE", "TIMEOUT", "RETRIES"]

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)

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


def read_input(path: Path, model: type[R], what: str) -> list[R]:
    """Records from an input file; a missing or empty file is one clear error naming it."""
    if not path.is_file():
        raise SciplanError(f"{path}: no such {what} file")
    report = JsonlReport(path)
    try:
        records = read_records(path, model, report)
    except (OSError, UnicodeDecodeError) as exc:
        raise SciplanError(f"{path}: cannot read {what} ({exc})") from None
    for line, why in report.bad_lines[:5]:
        console.print(f"[yellow]{escape(str(path))}:{line}: skipped, not a valid {model.__name__} ({escape(why)})[/]")
    if len(report.bad_lines) > 5:
        console.print(f"[yellow]{escape(str(path))}: {len(report.bad_lines) - 5} more bad lines skipped[/]")
    if not records:
        raise SciplanError(f"{path}: no valid {model.__name__} records (expected JSONL, one {what[:-1]} per line)")
    return records
