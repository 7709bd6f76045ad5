"""Section structure shared by the readers: headings, numbering, clean-up."""

from __future__ import annotations

import re

from sciplan.records import Section

__all__ = [
    "clean_text",
    "unwrap",
    "numbered_heading",
    "is_back_matter",
    "is_abstract_heading",
    "tidy_sections",
    "min_level",
]

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2009\u202f]+")
_BLANKS = re.compile(r"\n\s*\n+")
# "3", "3.2", "3.2.1", "A", "A.1", "IV" followed by a title starting with a capital.
# Letters and roman numerals need a dot ("A.", "A.1", "IV.") so "A Study of" is no heading.
_NUMBERED = re.compile(
    r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-H](?:\.\d{1,2}){0,2}\.|[A-H](?:\.\d{1,2}){1,2}"
    r"|[IVX]{1,5}\.)\s+(?P<title>[A-Za-z][^\n]{0,120})$"
)
_BACK_MATTER = re.compile(
    r"^(?:\d+\.?\s*)?(references?|bibliography|literature cited|works cited|references and notes"
    r"|acknowledge?ments?|funding|competing interests|conflicts? of interest|author contributions"
    r"|authors' contributions|supporting information|supplementary (?:material|information)"
    r"|abbreviations)\s*:?$",
    re.I,
)


def clean_text(text: str) -> str:
    """Collapse runs of spaces inside lines and of blank lines between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()


_BLOCK_START = re.compile(r"^\s*(?:[-*+>|]\s|\d+[.)]\s|```|~~~|    )")


def unwrap(text: str) -> str:
    """Join lines wrapped inside paragraphs; lists, quotes, tables and code blocks keep their lines."""
    # Each output line is a list of pieces joined once at the end: linear, however long the paragraph.
    out: list[list[str]] = []
    fenced = False
    for line in text.split("\n"):
        stripped = line.strip()
        starts_fence = line.lstrip().startswith(("```", "~~~"))
        last = out[-1] if out else None
        joinable = (
            last is not None and last[0].strip() and stripped and not fenced and not starts_fence
            and not _BLOCK_START.match(line) and not last[0].lstrip().startswith(("```", "~~~", "|"))
        )
        if starts_fence:
            fenced = not fenced
        if joinable:
            assert last is not None
            if len(last) == 1:
                last[0] = last[0].rstrip()
            last.append(stripped)
        else:
            out.append([line])
    return "\n".join(" ".join(pieces) for pieces in out)


def numbered_heading(line: str) -> tuple[int, str] | None:
    """(level, title) when `line` looks like a numbered heading ("3.2 Results"), else None."""
    line = line.strip()
    m = _NUMBERED.match(line)
    if not m:
        return None
    title = m.group("title").strip()
    # A sentence is not a heading: headings are short and do not end in a full stop.
    if len(title.split()) > 14 or title.endswith((".", ",", ";")):
        return None
    num = m.group("num").rstrip(".")
    return num.count(".") + 1, title


def is_back_matter(heading: str) -> bool:
    """True for References, Acknowledgements and similar sections that carry no research content."""
    return bool(_BACK_MATTER.match(heading.strip()))


def is_abstract_heading(heading: str) -> bool:
    """True for a heading that names the abstract."""
    return heading.strip().rstrip(".:").strip().lower() in {"abstract", "summary"}


def min_level(sections: list[Section]) -> int:
    """The smallest level used (1 when there are no sections)."""
    return min((s.level for s in sections), default=1)


def tidy_sections(sections: list[Section]) -> list[Section]:
    """Clean texts and headings, drop back matter and empty sections, and make the top level 1."""
    out: list[Section] = []
    skip_below: int | None = None
    for s in sections:
        if skip_below is not None and s.level > skip_below:
            continue
        skip_below = None
        if is_back_matter(s.heading):
            skip_below = s.level
            continue
        text = clean_text(s.text)
        heading = clean_text(s.heading).replace("\n", " ")
        # "2.1. Trial Design" -> "Trial Design": the level already carries the numbering.
        numbered = numbered_heading(heading)
        heading = numbered[1] if numbered else heading
        out.append(Section(heading=heading, text=text, level=s.level))
    # Keep an empty section only when a subsection follows it (it names their group).
    kept: list[Section] = []
    for i, s in enumerate(out):
        nxt = out[i + 1] if i + 1 < len(out) else None
        if s.text or (nxt is not None and nxt.level > s.level):
            kept.append(s)
    shift = min_level(kept) - 1
    if shift:
        kept = [Section(heading=s.heading, text=s.text, level=s.level - shift) for s in kept]
    return kept
