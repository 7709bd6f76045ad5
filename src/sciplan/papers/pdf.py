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


def import_pymupdf():  # type: ignore[no-untyped-def]
    """PyMuPDF without its optional layout package (which loads onnxruntime: ~260 MB of address space)."""
    if "pymupdf" not in sys.modules:
        sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[assignment]
    import pymupdf

    return pymupdf


def _open(data: bytes, source: str) -> "pymupdf.Document":
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


def _ordered_blocks(page: "pymupdf.Page") -> list[dict]:
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


def _lines(doc: "pymupdf.Document", source: str, limits: ArchiveLimits) -> list[_Line]:
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
                weights = Counter()
                for s in spans:
                    weights[round(s["size"], 1)] += len(s["text"].strip())
                size = weights.most_common(1)[0][0]
                bold = all(s["flags"] & 16 or "bold" in s["font"].lower() for s in spans)
                out.append(_Line(text, size, bold, block_no, pno, line["bbox"][1], line["bbox"][3],
                                 page.rect.height, b["wide"]))
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


def _heading(ln: _Line, body: float) -> tuple[int | None, str] | None:
    """(level from numbering or None, title) when the line is a heading."""
    words = ln.text.split()
    if not words or len(words) > 16 or ln.text.endswith((".", ",", ";")) and not numbered_heading(ln.text):
        return None
    numbered = numbered_heading(ln.text)
    larger = ln.size >= body + 0.8
    if numbered and (larger or ln.bold):
        return numbered
    if larger and (ln.bold or ln.size >= body * 1.15) and not ln.text.endswith("."):
        return None, ln.text
    if ln.bold and is_abstract_heading(ln.text):
        return None, ln.text
    return None


@dataclass
class _Part:
    heading: str
    level: int
    paras: list[tuple[str, bool, int]]  # (text, in a full-width block, page)


def _join(a: str, b: str) -> str:
    """Join two wrapped lines: no space after a hyphen or dash that ended the first."""
    return a + b if a.endswith(("-", "\u2013", "\u2014", "/")) else f"{a} {b}"


def _parts(lines: list[_Line], body: float) -> tuple[list[_Part], list[tuple[str, bool, int]]]:
    """Sections in reading order, and the paragraphs before the first heading."""
    heading_sizes = sorted({ln.size for ln in lines if _heading(ln, body)}, reverse=True)
    front = _Part("", 0, [])
    parts: list[_Part] = []
    prev: _Line | None = None
    prev_was_heading = False
    for ln in lines:
        current = parts[-1] if parts else front
        h = _heading(ln, body)
        if h and prev_was_heading and prev and not current.paras and ln.block == prev.block and ln.size == prev.size:
            current.heading = _join(current.heading, ln.text)  # a heading wrapped onto a second line
        elif h:
            level, heading = h
            if level is None:
                level = heading_sizes.index(ln.size) + 1 if ln.size in heading_sizes else 1
            parts.append(_Part(heading, level, []))
        elif current.paras and prev is not None and ln.block == prev.block and not prev_was_heading:
            text, wide, page = current.paras[-1]
            current.paras[-1] = (_join(text, ln.text), wide, page)
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
        return "", 0
    idx = [i for i in first if lines[i].size == biggest]
    run = [idx[0]] + [i for a, i in zip(idx, idx[1:]) if i == a + 1]
    title = lines[run[0]].text
    for i in run[1:]:
        title = _join(title, lines[i].text)
    return title, run[-1] + 1


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
    parts, front = _parts(lines[start:], body)
    abstract = _abstract(parts, front)
    sections = tidy_sections(
        [Section(heading=p.heading, text="\n\n".join(t for t, _, _ in p.paras), level=p.level) for p in parts]
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
