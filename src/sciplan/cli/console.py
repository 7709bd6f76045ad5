"""The rich consoles every command prints through."""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape

__all__ = ["console", "err_console", "safe"]

console = Console()
err_console = Console(stderr=True)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """`text` fit to print: control characters (ANSI escapes) shown as \\xNN, rich markup escaped."""
    return escape(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text))
