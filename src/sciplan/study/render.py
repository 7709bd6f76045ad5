"""Untrusted model text (goals, plans) to safe HTML: Markdown with raw HTML off, then a sanitiser.

Two independent layers: Markdown is parsed with raw HTML disabled, so a `<script>` in a plan
comes out as the text "<script>"; the result then passes nh3 with a short allow-list, so even
a parser bug cannot smuggle in scripts, event handlers, styles, images or `javascript:` links.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

from sciplan.evaluate.markdown import render_markdown as _render

__all__ = ["render_markdown", "MAX_MARKDOWN_CHARS"]

# Beyond this, a text is shown as preformatted plain text: parsing a pathological document
# (a table of 20,000 rows) would cost seconds on every page load.
MAX_MARKDOWN_CHARS = 100_000


@lru_cache(maxsize=512)  # pages are reloaded often and plans never change within a study
def render_markdown(text: str) -> Markup:
    """Render untrusted Markdown to sanitised HTML, safe to insert into a page (links kept, made inert)."""
    if len(text or "") > MAX_MARKDOWN_CHARS:
        return Markup("<pre class='plain'>") + escape(text) + Markup("</pre>")
    return _render(text, links=True)
