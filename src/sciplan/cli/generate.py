"""`sciplan generate MODEL PROMPT`: one completion, printed with its usage."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.panel import Panel
from rich.text import Text

from sciplan.cli.common import NO_CACHE, RETRIES, TIMEOUT, model_settings, run_async
from sciplan.cli.console import console
from sciplan.errors import SciplanError
from sciplan.jsonl import read_jsonl
from sciplan.llm import Completion, Message, get_model


def load_messages(path: Path) -> list[Message]:
    """Chat messages from a JSON list or a JSONL file of {role, content} objects."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SciplanError(f"{path}: cannot read messages ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except ValueError:
        data = list(read_jsonl(path))
    if isinstance(data, dict):
        data = data.get("messages", [data])
    msgs: list[Message] = []
    for i, m in enumerate(data if isinstance(data, list) else []):
        if not (isinstance(m, dict) and m.get("role") in ("system", "user", "assistant") and isinstance(m.get("content"), str)):
            raise SciplanError(f"{path}: message {i + 1} needs a role (system/user/assistant) and a string content")
        msgs.append({"role": m["role"], "content": m["content"]})
    if not msgs:
        raise SciplanError(f"{path}: no messages found (expected a JSON list of {{role, content}})")
    return msgs


def print_completion(comp: Completion, *, show_thinking: bool = True) -> None:
    """The thinking (dim), the answer in a panel, and one line of usage."""
    if comp.thinking and show_thinking:
        console.print(Panel(Text(comp.thinking, style="dim"), title="thinking", border_style="dim"))
    console.print(Panel(Text(comp.text), title=comp.model, border_style="cyan"))
    u = comp.usage
    cached = f", {u.cached_prompt_tokens} prefix-cached" if u.cached_prompt_tokens is not None else ""
    source = "from cache" if comp.cached else f"{comp.latency:.2f}s"
    console.print(
        f"[bold]{u.prompt_tokens}[/] prompt + [bold]{u.completion_tokens}[/] completion tokens{cached}; "
        f"finish: {comp.finish_reason}; {source}"
    )


def generate(
    model: str = typer.Argument(..., help="Model string, e.g. local:smollm2 or openai:NAME@http://HOST:PORT/v1."),
    prompt: str = typer.Argument(None, help="The user prompt (or use --messages)."),
    messages: Path = typer.Option(None, "--messages", "-m", help="JSON/JSONL file of {role, content} messages."),
    system: str = typer.Option(None, "--system", help="A system message to put first."),
    max_tokens: int = typer.Option(512, "--max-tokens"),
    temperature: float = typer.Option(0.0, "--temperature", "-t"),
    seed: int = typer.Option(None, "--seed"),
    json_schema: Path = typer.Option(None, "--json-schema", help="Constrain the answer to this JSON schema file."),
    hide_thinking: bool = typer.Option(False, "--hide-thinking"),
    no_cache: bool = NO_CACHE,
    timeout: float = TIMEOUT,
    retries: int = RETRIES,
) -> None:
    """Print one completion of MODEL for PROMPT, with its token usage."""
    if messages is not None:
        msgs = load_messages(messages)
    elif prompt is not None:
        msgs = [{"role": "user", "content": prompt}]
    else:
        raise SciplanError("give a PROMPT or --messages FILE")
    if system:
        msgs = [{"role": "system", "content": system}, *msgs]
    schema = None
    if json_schema is not None:
        try:
            schema = json.loads(json_schema.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SciplanError(f"{json_schema}: not a readable JSON schema ({exc})") from None
    m = get_model(model, model_settings(no_cache=no_cache, timeout=timeout, retries=retries))
    m.check_ready()
    comp = run_async(
        m.generate(msgs, max_tokens=max_tokens, temperature=temperature, seed=seed, json_schema=schema)
    )
    print_completion(comp, show_thinking=not hide_thinking)
