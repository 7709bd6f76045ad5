"""PDF -> `Paper` with PyMuPDF: reading order across columns, headings from font cues.

Reading order: on each page, blocks that span the middle of the page are read top to
bottom; between two of them, the left column is read before the right one. Headings
are lines set larger than the body text, or bold numbered lines ("3.2 Results").
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from sciplan.papers.archive import ArchiveLimits
from sciplan.papers.errors import PaperError
from sciplan.papers.identity import content_id, sha256_hex
from sciplan.papers.sections import clean_text, is_abstract_heading, numbered_heading, tidy_sections
from sciplan.records import Paper, Section

if TYPE_CHECKING:  # PyMuPDF takes ~0.6 s to import: only readers of PDFs pay for it
    import pymupdf

__all__ = ["read_pdf", "import_pymupdf"]

_MIN_CHARS_PER_PAGE = 40
_ABSTRACT_LEAD = re.compile(r"^\s*(?:abstract|summary)\s*[—–\-:.]\s*", re.I)
# Front-matter blocks that end an abstract and are no section of the paper (ACM, IEEE, AASTeX, Elsevier).
_FRONT_LABEL = re.compile(
    r"^(?:ccs concepts|keywords|key words|index terms|acm reference format|additional key words and phrases"
    r"|facilities|software|unified astronomy thesaurus concepts|highlights|graphical abstract|article info"
    r"|jel classification|msc|pacs)\s*(?:[:.\u2014\u2013-]|$)", re.I)
_COPYRIGHT = re.compile(r"^(?:permission to make digital or hard copies|\u00a9\s*\d{4}|copyright \u00a9)", re.I)
_CAPTION = re.compile(r"^(?:fig(?:ure)?|table)\.?\s*\d", re.I)
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|medi\b|-medi|cmbx|cmssbx|sfbx|bx\d|[-,]b$|tb$|bd$|-bd|bol$",
                        re.I)
_DROP = "\x00front matter"
_COMPOUND_PREFIXES = {"self", "cross", "well", "state", "non", "semi", "high", "low", "large", "small", "real",
                      "data", "task", "time", "fine", "end", "two", "three", "one", "first", "second", "long",
                      "short", "model", "rule", "user", "open", "closed", "anti", "pre", "post", "multi"}
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)


@dataclass
class _Line:
    text: str
    size: float
    bold: bool
    block: int
    page: int
    y0: float
    y1: float
    page_height: float
    wide: bool
    upright: bool = True


def import_pymupdf() -> ModuleType:
    """PyMuPDF without its optional layout and pymupdf4llm packages.

    PyMuPDF 2 imports both when installed, and both load onnxruntime (~260 MB of address
    space, a second of import time): too much for a reader child under its memory cap.
    """
    if "pymupdf" not in sys.modules:
        for optional in ("pymupdf.layout", "pymupdf4llm"):
            sys.modules.setdefault(optional, None)  # type: ignore[arg-type]
    import pymupdf

    return pymupdf


def _open(data: bytes, source: str) -> pymupdf.Document:
    pymupdf = import_pymupdf()
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise PaperError(f"{source}: not a PDF (no %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise PaperError(f"{source}: truncated or damaged PDF (no %%EOF end marker)")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except (RuntimeError, ValueError) as exc:
        raise PaperError(f"{source}: unreadable PDF ({exc})") from None
    if doc.needs_pass:
        raise PaperError(f"{source}: encrypted PDF (a password is needed); decrypt it first")
    if doc.page_count == 0:
        raise PaperError(f"{source}: PDF without pages")
    return doc


def _ordered_blocks(page: pymupdf.Page) -> list[dict]:
    """Text blocks in reading order for one- and two-column layouts."""
    import pymupdf

    # Without TEXT_PRESERVE_LIGATURES, "ﬁ" comes out as "fi".
    flags = pymupdf.TEXT_DEHYPHENATE | pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
    blocks = [b for b in page.get_text("dict", flags=flags)["blocks"] if b.get("type") == 0 and b.get("lines")]
    mid = (page.rect.x0 + page.rect.x1) / 2
    slack = page.rect.width * 0.02
    ordered: list[dict] = []
    left: list[dict] = []
    right: list[dict] = []

    def flush() -> None:
        ordered.extend(sorted(left, key=lambda b: b["bbox"][1]))
        ordered.extend(sorted(right, key=lambda b: b["bbox"][1]))
        left.clear()
        right.clear()

    for b in sorted(blocks, key=lambda b: (b["bbox"][1], b["bbox"][0])):
        x0, _, x1, _ = b["bbox"]
        b["wide"] = False
        if x1 <= mid + slack:
            left.append(b)
        elif x0 >= mid - slack:
            right.append(b)
        else:
            flush()
            b["wide"] = True
            ordered.append(b)
    flush()
    return ordered


def _lines(doc: pymupdf.Document, source: str, limits: ArchiveLimits) -> list[_Line]:
    out: list[_Line] = []
    block_no = 0
    chars = 0
    for pno in range(min(doc.page_count, limits.max_pages)):
        page = doc[pno]
        for b in _ordered_blocks(page):
            block_no += 1
            for line in b["lines"]:
                chars += sum(len(s["text"]) for s in line["spans"])
                if chars > limits.max_chars:
                    raise PaperError(f"{source}: more than {limits.max_chars:,} characters of text by page "
                                     f"{pno + 1} (limits.max_chars); refused")
                spans = [s for s in line["spans"] if s["text"].strip()]
                if not spans:
                    continue
                text = "".join(s["text"] for s in line["spans"]).strip()
                weights: Counter[float] = Counter()
                for s in spans:
                    weights[round(s["size"], 1)] += len(s["text"].strip())
                size = weights.most_common(1)[0][0]
                # Many TeX fonts do not set the bold flag: their names say it (CMBX, LinBiolinumTB, ...-Medi).
                bold = all(s["flags"] & 16 or _BOLD_FONT.search(s["font"].split("+")[-1]) for s in spans)
                upright = abs(line.get("dir", (1, 0))[1]) < 0.01
                out.append(_Line(text, size, bold, block_no, pno, line["bbox"][1], line["bbox"][3],
                                 page.rect.height, b["wide"], upright))
    return out


def _drop_furniture(lines: list[_Line], pages: int, body: float) -> list[_Line]:
    """Drop page numbers and running heads/feet (small text repeated in the margins of many pages)."""
    def key(ln: _Line) -> str:
        return re.sub(r"\d+", "#", ln.text.lower())

    def in_margin(ln: _Line) -> bool:
        return ln.y1 < ln.page_height * 0.09 or ln.y0 > ln.page_height * 0.91

    # Headings can sit near the top of a page too: only text no larger than the body repeats.
    repeated = Counter(key(ln) for ln in lines if in_margin(ln) and ln.size <= body + 0.5)
    threshold = max(2, pages // 2)
    return [
        ln for ln in lines
        if not (in_margin(ln) and (_PAGE_NUMBER.match(ln.text) or
                                   (ln.size <= body + 0.5 and not ln.bold and repeated[key(ln)] >= threshold)))
    ]


def _body_size(lines: list[_Line]) -> float:
    sizes: Counter[float] = Counter()
    for ln in lines:
        sizes[ln.size] += len(ln.text)
    return sizes.most_common(1)[0][0]


def _caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def _heading(ln: _Line, body: float) -> tuple[int | None, str] | None:
    """(level from numbering or None, title) when the line is a heading."""
    words = ln.text.split()
    if ln.upright and _FRONT_LABEL.match(ln.text):
        return None, _DROP
    if not ln.upright or not words or len(words) > 16 \
            or ln.text.endswith((".", ",", ";", ":")) and not numbered_heading(ln.text):
        return None
    numbered = numbered_heading(ln.text)
    larger = ln.size >= body + 0.8
    # "1 INTRODUCTION" in body-size type (ACM, AASTeX): numbered capitals are a heading whatever the weight.
    if numbered and (larger or ln.bold or (_caps(numbered[1]) and ln.size >= body - 0.5)):
        return numbered
    if larger and (ln.bold or ln.size >= body * 1.15) and not ln.text.endswith("."):
        return None, ln.text
    if is_abstract_heading(ln.text) and (ln.bold or _caps(ln.text) or larger):
        return None, ln.text
    return None


@dataclass
class _Part:
    heading: str
    level: int
    paras: list[tuple[str, bool, int]]  # (text, in a full-width block, page)


_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


def _vocabulary(lines: list[_Line]) -> frozenset[str]:
    """Lower-case words of the document, without the fragments hyphenated at line ends."""
    words: set[str] = set()
    for ln in lines:
        found = _WORD.findall(ln.text.lower())
        if ln.text.endswith("-") and found:
            found = found[:-1]
        words.update(found)
    return frozenset(words)


def _join(a: str, b: str, vocab: frozenset[str] = frozenset()) -> str:
    """Join two wrapped lines: a word hyphenated at the break is mended; no space after a dash.

    The document's own words decide: "reverse-" + "transcribed" keeps its hyphen when
    "reverse" (or "reverse-transcribed") occurs elsewhere; "implemen-" + "tation" is mended.
    """
    if a.endswith("-") and b[:1].islower():
        fragment = a[:-1].rsplit(None, 1)[-1] if a[:-1].strip() else ""
        rest = (_WORD.match(b) or _WORD.match("x")).group()  # type: ignore[union-attr]
        if len(fragment) >= 3 and fragment.isalpha() and fragment.islower():
            if f"{fragment}-{rest}" in vocab:
                return a + b
            if f"{fragment}{rest}" in vocab or not (fragment in vocab or fragment in _COMPOUND_PREFIXES):
                return a[:-1] + b
    return a + b if a.endswith(("-", "\u2013", "\u2014", "/")) else f"{a} {b}"


def _front_end(lines: list[_Line]) -> int:
    """Index of the abstract label on page 1: the lines before it (authors, affiliations) are no sections."""
    for i, ln in enumerate(lines):
        if ln.page > 0:
            break
        if is_abstract_heading(ln.text) or _ABSTRACT_LEAD.match(ln.text):
            return i
    return 0


def _parts(
    lines: list[_Line], body: float, vocab: frozenset[str] = frozenset()
) -> tuple[list[_Part], list[tuple[str, bool, int]]]:
    """Sections in reading order, and the paragraphs before the first heading."""
    front_end = _front_end(lines)
    dropped_blocks = {ln.block for ln in lines if _COPYRIGHT.match(ln.text)}
    lines = [ln for ln in lines if ln.block not in dropped_blocks]
    front_end = min(front_end, len(lines))

    def heading_of(i: int, ln: _Line) -> tuple[int | None, str] | None:
        if i < front_end:
            return None
        h = _heading(ln, body)
        # An axis label set large sits right above its figure's caption: not a heading.
        if h and h[1] != _DROP and i + 1 < len(lines) and _CAPTION.match(lines[i + 1].text):
            return None
        return h

    heads = [heading_of(i, ln) for i, ln in enumerate(lines)]
    heading_sizes = sorted({ln.size for ln, h in zip(lines, heads, strict=True) if h and h[1] != _DROP}, reverse=True)
    front = _Part("", 0, [])
    parts: list[_Part] = []
    prev: _Line | None = None
    prev_was_heading = False
    for ln, h in zip(lines, heads, strict=True):
        current = parts[-1] if parts else front
        if h and h[1] != _DROP and prev_was_heading and prev and not current.paras and ln.block == prev.block \
                and ln.size == prev.size and current.heading != _DROP:
            current.heading = _join(current.heading, ln.text, vocab)  # a heading wrapped onto a second line
        elif h:
            level, heading = h
            if level is None:
                level = heading_sizes.index(ln.size) + 1 if ln.size in heading_sizes else 1
            parts.append(_Part(heading, level, []))
        elif current.paras and prev is not None and ln.block == prev.block and not prev_was_heading:
            text, wide, page = current.paras[-1]
            current.paras[-1] = (_join(text, ln.text, vocab), wide, page)
        else:
            current.paras.append((ln.text, ln.wide, ln.page))
        prev, prev_was_heading = ln, bool(h)
    return parts, front.paras


def _title(lines: list[_Line], body: float) -> tuple[str, int]:
    """The title (the largest type in the top half of page 1) and the index of the line after it."""
    first = [i for i, ln in enumerate(lines) if ln.page == 0 and ln.y0 < ln.page_height * 0.5]
    if not first:
        return "", 0
    biggest = max(lines[i].size for i in first)
    if biggest <= body + 0.8:
        return _plain_title(lines, first)
    idx = [i for i in first if lines[i].size == biggest]
    run = [idx[0]] + [i for a, i in zip(idx, idx[1:], strict=False) if i == a + 1]
    title = lines[run[0]].text
    for i in run[1:]:
        title = _join(title, lines[i].text)
    return title, run[-1] + 1


def _plain_title(lines: list[_Line], first: list[int]) -> tuple[str, int]:
    """A title set in body-size type (AASTeX): the first run of capitals or bold above the abstract."""
    end = _front_end(lines) or (first[-1] + 1)
    start = next((i for i in first if i < end and len(lines[i].text.split()) >= 3
                  and (_caps(lines[i].text) or lines[i].bold) and not _FRONT_LABEL.match(lines[i].text)), None)
    if start is None:
        return "", 0
    style = (lines[start].size, _caps(lines[start].text), lines[start].bold)
    stop = start + 1
    while stop < end and (lines[stop].size, _caps(lines[stop].text), lines[stop].bold) == style:
        stop += 1
    title = lines[start].text
    for ln in lines[start + 1 : stop]:
        title = _join(title, ln.text)
    return title, stop


def _abstract(parts: list[_Part], front: list[tuple[str, bool, int]]) -> str:
    """Take the abstract out of `parts` (an "Abstract" section or a labelled paragraph)."""
    for i, part in enumerate(parts):
        if is_abstract_heading(part.heading) and part.paras:
            _, wide, page = part.paras[0]
            # The abstract ends where the layout changes (full-width header -> columns).
            n = next((k for k, (_, w, pg) in enumerate(part.paras) if (w, pg) != (wide, page)), len(part.paras))
            abstract = "\n\n".join(t for t, _, _ in part.paras[:n])
            rest = part.paras[n:]
            parts[i : i + 1] = [_Part("", 1, rest)] if rest else []
            return abstract
    lead = "\n\n".join(t for t, _, _ in front)
    m = _ABSTRACT_LEAD.search(lead) or re.search(r"\n\n(?:abstract|summary)\s*[\u2014\u2013\-:.]\s*", lead, re.I)
    if m:
        return lead[m.end():]
    # No "Abstract" label: the longest paragraph before the first heading stands in.
    best = max((t for t, _, _ in front), key=len, default="")
    return best if len(best.split()) >= 40 else ""


def read_pdf(data: bytes, source: str, limits: ArchiveLimits | None = None) -> Paper:
    """A `Paper` from a PDF with a text layer; encrypted, scanned or truncated PDFs raise PaperError.

    Call it through `read_bytes`, which runs it under the memory and time bounds of `limits`.
    """
    limits = limits or ArchiveLimits()
    doc = _open(data, source)
    try:
        pages = min(doc.page_count, limits.max_pages)
        lines = _lines(doc, source, limits)
        meta_title = (doc.metadata or {}).get("title") or ""
    finally:
        doc.close()
    chars = sum(len(ln.text) for ln in lines)
    if chars < _MIN_CHARS_PER_PAGE * pages and chars < 2000:
        raise PaperError(
            f"{source}: no text layer ({chars} characters on {pages} pages; a scanned PDF?); run OCR first"
        )
    body = _body_size(lines)
    lines = _drop_furniture(lines, pages, body)
    title, start = _title(lines, body)
    parts, front = _parts(lines[start:], body, _vocabulary(lines))
    abstract = _abstract(parts, front)
    sections = tidy_sections(
        [Section(heading=p.heading, text="\n\n".join(t for t, _, _ in p.paras), level=p.level)
         for p in parts if p.heading != _DROP]
    )
    if not sections and not abstract:
        raise PaperError(f"{source}: no text found in the PDF")
    digest = sha256_hex(data)
    return Paper(
        id=content_id(digest),
        title=clean_text(title or meta_title) or "(untitled)",
        abstract=clean_text(abstract),
        sections=sections,
        ids={"sha256": digest},
        source_format="pdf",
        meta={"pages": pages, "body_font_size": body},
    )
