"""Prompts are Jinja templates in this folder, so researchers edit them without code."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

__all__ = ["render", "environment"]


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja environment for prompt templates (plain text: no HTML escaping)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sciplan", "prompts"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the package: no stat() of the file on every render (the reward
        # service renders one per plan); an edited template is read by the next process.
        auto_reload=False,
    )


def render(name: str, **variables: Any) -> str:
    """Render the template `name` (e.g. "plan/system.j2") with `variables`."""
    return environment().get_template(name).render(**variables).strip()
