"""The table of tokens, cost and time every command prints when it ends."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from sciplan.llm import Ledger, ledger

__all__ = ["usage_table", "print_usage"]


def usage_table(book: Ledger) -> Table | None:
    """A rich table of the ledger, one row per stage and model; None when empty."""
    rows = sorted(book.rows(), key=lambda r: (r.stage, r.model))
    if not rows:
        return None
    show_failed = any(r.failures for r in rows)
    show_prefix = any(r.usage.cached_prompt_tokens is not None for r in rows)
    table = Table(title="Model usage", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("stage")
    table.add_column("model", overflow="fold")
    cols = ["calls", "cached"] + (["failed"] if show_failed else []) + ["tok in", "tok out"]
    cols += (["prefix hit"] if show_prefix else []) + ["cost $", "secs"]
    for col in cols:
        table.add_column(col, justify="right")
    for r in rows:
        cells = [r.stage, r.model, f"{r.calls:,}", f"{r.cache_hits:,}"]
        cells += [f"{r.failures:,}"] if show_failed else []
        cells += [f"{r.usage.prompt_tokens:,}", f"{r.usage.completion_tokens:,}"]
        cells += [f"{r.usage.cached_prompt_tokens or 0:,}"] if show_prefix else []
        cells += [f"{r.cost:.4f}", f"{r.seconds:.1f}"]
        table.add_row(*cells)
    return table


def print_usage(console: Console, book: Ledger = ledger) -> None:
    """Print the usage table if any model was used."""
    table = usage_table(book)
    if table is not None:
        console.print(table)
