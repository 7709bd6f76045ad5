"""Markdown and plain text -> `Paper`.

Markdown: `#` (or underlined) headings make the sections, the first top heading (or a
YAML front-matter `title`) the title, an "Abstract" section the abstract; the front
matter may also give `date`, `license`, `domain`, `venue` and `source_url`. Plain text:
the first line is the title, isolated numbered lines ("2 Methods") are headings.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re

import yaml

from sciplan.papers.domains import normalize_domain
from sciplan.papers.errors import PaperError
from sciplan.papers.identity import content_id, sha256_hex
from sciplan.papers.licenses import normalize_license
from sciplan.papers.sections import clean_text, is_abstract_heading, numbered_heading, tidy_sections, unwrap
from sciplan.records import Paper, Section

__all__ = ["read_markdown", "read_text", "decode_text"]

log = logging.getLogger(__name__)

_ATX_OPEN = re.compile(r"(#{1,6})[ \t]+(?=\S)")
_UNDERLINE = re.compile(r"[ \t]*(?:=+|-+)[ \t]*")
_FENCE = re.compile(r"^\s*(```|~~~)")
_IMAGE = re.compile(r"!\[[^\[\]\n]{0,2000}\]\([^()\n]{0,2000}\)")
_LINK = re.compile(r"\[([^\[\]\n]{1,2000})\]\([^()\n]{0,2000}\)")
_BOLD_STARS = re.compile(r"\*\*([^*\n]{1,2000}?)\*\*")
_BOLD_UNDERSCORES = re.compile(r"__([^_\n]{1,2000}?)__")


def decode_text(data: bytes, source: str) -> str:
    """Text from bytes: UTF-8 (with or without BOM), else cp1252; binary data is refused."""
    if b"\x00" in data[:65536]:
        raise PaperError(f"{source}: binary data, not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _front_matter(text: str) -> tuple[dict, str]:
    m = re.match(r"^---\s*\n(.*?)\n(?:---|\.\.\.)\s*\n", text, flags=re.S)
    if not m:
        return {}, text
    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return {}, text
    return (meta if isinstance(meta, dict) else {}), text[m.end():]


def _atx(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line (`## Title ##`); string methods, not backtracking."""
    m = _ATX_OPEN.match(line)
    if not m:
        return None
    text = line[m.end():].rstrip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip()
    return (len(m.group(1)), text) if text else None


def _strip_markup(text: str) -> str:
    """Markdown emphasis and links to plain text; code, math and everything else unchanged.

    Every pattern scans a bounded span that cannot cross its own opening character, so
    the cost stays linear on hostile input (a file of brackets or asterisks).
    """
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _BOLD_STARS.sub(r"\1", text)
    return _BOLD_UNDERSCORES.sub(r"\1", text)


def _finish(title: str, abstract: str, sections: list[Section], data: bytes, source: str, fmt: str,
            meta: dict | None = None) -> Paper:
    # Wrapped lines inside a paragraph become one line, as the other readers give them.
    sections = [s.model_copy(update={"text": unwrap(s.text)}) for s in sections]
    abstract = unwrap(abstract)
    for i, s in enumerate(sections):
        if not abstract and is_abstract_heading(s.heading):
            abstract = s.text
            sections = sections[:i] + sections[i + 1:]
            break
    sections = tidy_sections(sections)
    if not sections and not abstract.strip():
        raise PaperError(f"{source}: no text found")
    digest = sha256_hex(data)
    return Paper(
        id=content_id(digest),
        title=title.strip() or "(untitled)",
        abstract=clean_text(abstract),
        sections=sections,
        ids={"sha256": digest},
        source_format=fmt,
        meta=meta or {},
    )


def read_markdown(data: bytes, source: str) -> Paper:
    """A `Paper` from a Markdown document."""
    fm, text = _front_matter(decode_text(data, source).replace("\r\n", "\n"))
    lines = text.split("\n")
    headings: list[tuple[int, int, str]] = []  # (line index, level, text)
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        atx = _atx(line)
        if atx:
            headings.append((i, atx[0], atx[1]))
        elif i > 0 and lines[i - 1].strip() and _UNDERLINE.fullmatch(line) and not _atx(lines[i - 1]):
            headings.append((i - 1, 1 if "=" in line else 2, lines[i - 1].strip()))
    title = str(fm.get("title") or "")
    abstract = str(fm.get("abstract") or "")
    if not title and headings and headings[0][1] == min(h[1] for h in headings):
        # The document's first top-level heading is its title, not a section.
        first = headings.pop(0)
        title = first[2]
        lead_end = headings[0][0] if headings else len(lines)
        lead = "\n".join(lines[first[0] + 1 : lead_end]).strip()
        if lead and not abstract and not any(is_abstract_heading(h[2]) for h in headings):
            abstract = lead
    sections = []
    for k, (i, level, heading) in enumerate(headings):
        end = headings[k + 1][0] if k + 1 < len(headings) else len(lines)
        body_start = i + (2 if i + 1 < len(lines) and _UNDERLINE.fullmatch(lines[i + 1] or "x") else 1)
        body = "\n".join(lines[body_start:end])
        numbered = numbered_heading(heading)
        heading = numbered[1] if numbered else heading
        sections.append(Section(heading=_strip_markup(heading), text=_strip_markup(body), level=level))
    if not headings:
        body = "\n".join(lines)
        if not title:
            first_line = next((ln for ln in lines if ln.strip()), "")
            title, body = first_line.lstrip("# ").strip(), body.replace(first_line, "", 1)
        sections = [Section(heading="", text=_strip_markup(body), level=1)]
    authors = fm.get("authors") or fm.get("author") or []
    meta = {"front_matter": {k: str(v) for k, v in fm.items()}} if fm else {}
    paper = _finish(_strip_markup(title), abstract, sections, data, source, "markdown", meta)
    if isinstance(authors, str):
        authors = [authors]
    return paper.model_copy(update={"authors": [str(a) for a in authors], **_front_fields(fm, source)})


def _front_fields(fm: dict, source: str) -> dict:
    """Paper fields a front matter may set: date, license, domain, venue, source_url."""
    out: dict = {}
    if fm.get("date"):
        try:
            out["date"] = _dt.date.fromisoformat(str(fm["date"])[:10])
        except ValueError:
            log.warning("%s: front-matter date %r is not YYYY-MM-DD; ignored", source, fm["date"])
    if fm.get("license"):
        out["license"] = normalize_license(str(fm["license"]))
    if fm.get("domain"):
        try:
            out["domain"] = normalize_domain(str(fm["domain"]))
        except ValueError as exc:
            log.warning("%s: front matter: %s; ignored", source, exc)
    for key in ("venue", "source_url"):
        if fm.get(key):
            out[key] = str(fm[key])
    return out


def read_text(data: bytes, source: str) -> Paper:
    """A `Paper` from plain text: first line the title, isolated numbered lines the headings."""
    text = decode_text(data, source).replace("\r\n", "\n")
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise PaperError(f"{source}: empty text file")
    title = lines[first].strip()
    sections: list[Section] = []
    current = Section(heading="", text="", level=1)
    buf: list[str] = []
    for i in range(first + 1, len(lines)):
        line = lines[i]
        isolated = (i == 0 or not lines[i - 1].strip()) and (i + 1 >= len(lines) or not lines[i + 1].strip())
        heading = numbered_heading(line) if isolated else None
        if heading is None and isolated and is_abstract_heading(line):
            heading = (1, line.strip().rstrip(":."))
        if heading:
            sections.append(current.model_copy(update={"text": "\n".join(buf)}))
            current, buf = Section(heading=heading[1], text="", level=heading[0]), []
        else:
            buf.append(line)
    sections.append(current.model_copy(update={"text": "\n".join(buf)}))
    abstract = ""
    m = re.match(r"\s*(?:abstract|summary)\s*[:.\u2014-]\s*(.+?)(?:\n\s*\n|$)", sections[0].text, re.I | re.S)
    if m:
        abstract = m.group(1)
        sections[0] = sections[0].model_copy(update={"text": sections[0].text[m.end():]})
    return _finish(title, abstract, sections, data, source, "text")
