"""The rich consoles every command prints through."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from sciplan.progress import printable

__all__ = ["console", "err_console", "safe"]

console = Console()
err_console = Console(stderr=True)

def safe(text: str) -> str:
    """`text` fit to print: control characters (ANSI escapes) shown as \\xNN, rich markup escaped."""
    return escape(printable(text))
