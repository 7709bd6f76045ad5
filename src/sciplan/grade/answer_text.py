"""A tolerant scan of plain-text grader answers: XML-like item blocks, in any order.

    <weaknesses>...</weaknesses>
    <item n="2"> <reasoning>...</reasoning> <violations>none</violations> </item>

Model output is untrusted text: blocks may be shuffled, repeated, truncated (no closing
tag) or missing, and tags may carry stray spaces or case. The scan never guesses a
verdict: what it cannot read comes back as None, and the variant decides by rule (an
unreadable verdict is an unsatisfied item, never a pass).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Block", "item_blocks", "tag_text", "read_ids", "read_yes_no"]

# `<item n="3">`, `<item 3>`, `<item index=3>`, `<item_3>`, `<ITEM n='3' >`.
_OPEN = re.compile(r"<\s*item[\s_]*(?:(?:n|index|id)\s*=\s*)?[\"']?(\d+)?[\"']?\s*>", re.IGNORECASE)
_CLOSE = re.compile(r"<\s*/\s*item\s*>", re.IGNORECASE)
_NONE = re.compile(r"^\W*(?:none|no violations?|nothing|no|n/?a|\[\s*\]|-+)\W*$", re.IGNORECASE)
_ALL = re.compile(r"^\W*all(?:\s+(?:seven|of them|(?:the\s+)?(?:desiderata|guidelines)))?\W*$", re.IGNORECASE)


@dataclass
class Block:
    """One item block: the index it names (None if it names none) and its body."""

    index: int | None
    body: str
    closed: bool = True
    extra: dict[str, str] = field(default_factory=dict)


def item_blocks(text: str) -> list[Block]:
    """Every `<item>` block in `text`, in the order written; a body ends at its closing
    tag, the next opening tag, or the end of the text (a truncated answer)."""
    opens = list(_OPEN.finditer(text))
    blocks = []
    for k, m in enumerate(opens):
        end = opens[k + 1].start() if k + 1 < len(opens) else len(text)
        close = _CLOSE.search(text, m.end(), end)
        body = text[m.end(): close.start() if close else end]
        blocks.append(Block(int(m.group(1)) if m.group(1) else None, body, closed=close is not None))
    return blocks


def tag_text(text: str, tag: str) -> str | None:
    """The text inside the first `<tag>` in `text` (to its closing tag, the next tag, or
    the end); None when there is no such tag."""
    m = re.search(rf"<\s*{tag}\s*>", text, re.IGNORECASE)
    if m is None:
        return None
    close = re.search(rf"<\s*/\s*{tag}\s*>", text[m.end():], re.IGNORECASE)
    if close is not None:
        return text[m.end(): m.end() + close.start()].strip()
    nxt = re.search(r"<\s*/?\s*[A-Za-z_]+[^>]*>", text[m.end():])
    return text[m.end(): m.end() + nxt.start() if nxt else len(text)].strip()


def read_ids(text: str | None, ids: Sequence[str]) -> list[str] | None:
    """The guideline ids a verdict names: `none` -> [], `all` -> every id, numbers are
    positions (1 = the first guideline), ids match case-insensitively. None when the
    verdict is empty or names nothing known (unreadable: the caller fails the item)."""
    if text is None or not text.strip():
        return None
    if _NONE.match(text):
        return []
    if _ALL.match(text):
        return list(ids)
    by_lower = {i.lower(): i for i in ids}
    found: list[str] = []
    for token in re.findall(r"[A-Za-z][A-Za-z0-9_-]*|\d+", text):
        gid = by_lower.get(token.lower())
        if gid is None and token.isdigit() and 1 <= int(token) <= len(ids):
            gid = ids[int(token) - 1]
        if gid is not None and gid not in found:
            found.append(gid)
    return found or None


def read_yes_no(text: str | None) -> bool | None:
    """`yes`/`true`/`satisfied` -> True, `no`/`false`/`not satisfied` -> False, else None."""
    if text is None:
        return None
    t = text.strip().lower()
    if re.match(r"^\W*(?:no|false|not)\b", t):
        return False
    if re.match(r"^\W*(?:yes|true|satisfied)\b", t):
        return True
    return None
