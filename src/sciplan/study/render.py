"""Untrusted model text (goals, plans) to safe HTML: Markdown with raw HTML off, then a sanitiser.

Two independent layers: Markdown is parsed with raw HTML disabled, so a `<script>` in a plan
comes out as the text "<script>"; the result then passes nh3 with a short allow-list, so even
a parser bug cannot smuggle in scripts, event handlers, styles, images or `javascript:` links.
"""

from __future__ import annotations

from markupsafe import Markup

from sciplan.evaluate.markdown import render_markdown as _render

__all__ = ["render_markdown"]


def render_markdown(text: str) -> Markup:
    """Render untrusted Markdown to sanitised HTML, safe to insert into a page (links kept, made inert)."""
    return _render(text, links=True)
