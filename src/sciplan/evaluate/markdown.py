"""Untrusted Markdown (model output) to sanitised HTML, for the report and the study app."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml as escape_html
from markupsafe import Markup

__all__ = ["render_markdown"]

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
    "em", "strong", "del", "table", "thead", "tbody", "tr", "th", "td",
}
_ATTRIBUTES = {"ol": {"start"}, "th": {"align"}, "td": {"align"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Raw HTML off: a model's <script> becomes text before the sanitiser even sees it.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    # Images are never shown, but their alt text is part of what the graders read: keep it as text.
    md.add_render_rule("image", _image_as_text)
    return md


def _image_as_text(self: object, tokens: list, idx: int, options: object, env: object) -> str:
    alt = "".join(t.content for t in tokens[idx].children or []) or tokens[idx].content
    return escape_html(f"[image: {alt}]" if alt.strip() else "[image]")


def render_markdown(text: str, *, links: bool = False) -> Markup:
    """Markdown to HTML through an allow-list sanitiser; `links` keeps http(s)/mailto links (never images)."""
    html = _parser().render(text or "")
    if not links:
        return Markup(nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES))
    clean = nh3.clean(
        html,
        tags=_TAGS | {"a"},
        attributes={**_ATTRIBUTES, "a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)
