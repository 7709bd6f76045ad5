"""Local inputs -> `Paper`: pick the reader from the file's content and name.

Both entry points run the reader under the bounded reader contract (`papers/bounded.py`).
"""

from __future__ import annotations

import os
from pathlib import Path

from sciplan.papers.archive import ArchiveLimits, is_gzip, is_tar, unpack_eprint
from sciplan.papers.bounded import run_bounded
from sciplan.papers.errors import PaperError
from sciplan.papers.identity import content_id, sha256_hex
from sciplan.papers.jats import read_jats
from sciplan.papers.latex import is_latex_dir, read_latex_dir, read_latex_tree, wanted_source
from sciplan.papers.markdown import read_markdown, read_text
from sciplan.papers.pdf import read_pdf
from sciplan.records import Paper

__all__ = ["FORMATS", "detect_format", "read_bytes", "read_path", "is_paper_file"]

# Suffix -> format; content sniffing wins where the two disagree.
FORMATS: dict[str, str] = {
    ".nxml": "jats", ".xml": "jats", ".jats": "jats",
    ".pdf": "pdf",
    ".tex": "latex", ".ltx": "latex", ".latex": "latex",
    ".gz": "eprint", ".tgz": "eprint", ".tar": "eprint",
    ".md": "markdown", ".markdown": "markdown",
    ".txt": "text", ".text": "text",
}


def _suffix(name: str) -> str:
    lower = name.lower()
    for double in (".tar.gz", ".tex.gz"):
        if lower.endswith(double):
            return ".gz"
    return os.path.splitext(lower)[1]


def is_paper_file(path: str | os.PathLike[str]) -> bool:
    """True for a file whose name says it is a paper sciplan can read."""
    return _suffix(Path(path).name) in FORMATS


def detect_format(name: str, data: bytes) -> str:
    """The reader for `data` (named `name`): jats, pdf, latex, eprint, markdown or text."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF"):
        return "pdf"
    if is_gzip(data) or data[257:262] == b"ustar":
        return "eprint"
    by_name = FORMATS.get(_suffix(name))
    if by_name:
        return by_name
    if head.startswith((b"<?xml", b"<!DOCTYPE article", b"<article", b"<pmc-articleset")):
        return "jats"
    if b"\\documentclass" in data[:100_000] or b"\\begin{document}" in data[:100_000]:
        return "latex"
    raise PaperError(f"{name}: unknown format (expected .nxml/.xml, .pdf, .tex, .tar.gz, .gz, .md or .txt)")


def _looks_like_latex(data: bytes) -> bool:
    return b"\\documentclass" in data[:100_000] or b"\\begin{document}" in data[:100_000] \
        or b"\\documentstyle" in data[:100_000]


def read_bytes(
    data: bytes, name: str, *, fmt: str | None = None, limits: ArchiveLimits | None = None, captions: bool = False
) -> Paper:
    """A `Paper` from the bytes of one file; `name` is used in errors and to guess the format."""
    return run_bounded(lambda: _read_bytes(data, name, fmt, limits, captions), name, limits)


def _read_bytes(data: bytes, name: str, fmt: str | None, limits: ArchiveLimits | None, captions: bool) -> Paper:
    limits = limits or ArchiveLimits()
    fmt = fmt or detect_format(name, data)
    if fmt == "eprint" and not (is_gzip(data) or is_tar(data[:512]) or data[:5] == b"%PDF-" or _looks_like_latex(data)):
        # A name like x.tar.gz proves nothing: an e-print is an archive, gzip data or LaTeX.
        raise PaperError(f"{name}: named like an archive but holds neither gzip, tar nor LaTeX data")
    if fmt == "jats":
        paper = read_jats(data, name, captions=captions)
    elif fmt == "pdf":
        paper = read_pdf(data, name, limits)
    elif fmt == "markdown":
        paper = read_markdown(data, name)
    elif fmt == "text":
        paper = read_text(data, name)
    elif fmt in ("latex", "eprint"):
        kind, payload = unpack_eprint(data, name, limits, want=wanted_source)
        if kind == "pdf":
            paper = read_pdf(payload, name, limits)  # type: ignore[arg-type]
        else:
            files = payload if isinstance(payload, dict) else {"main.tex": payload}
            paper = read_latex_tree(files, name)
    else:
        raise PaperError(f"{name}: unknown format {fmt!r}")
    # The id of a local file is the hash of the file as given, whatever was inside it.
    digest = sha256_hex(data)
    update: dict = {"ids": {**paper.ids, "sha256": digest}}
    if paper.id.startswith("file:"):
        update["id"] = content_id(digest)
    return paper.model_copy(update=update)


def read_path(
    path: str | os.PathLike[str], *, limits: ArchiveLimits | None = None, max_bytes: int | None = None,
    captions: bool = False,
) -> Paper:
    """A `Paper` from a file or from a LaTeX project folder."""
    return run_bounded(lambda: _read_path(path, limits, max_bytes, captions), str(path), limits)


def _read_path(
    path: str | os.PathLike[str], limits: ArchiveLimits | None, max_bytes: int | None, captions: bool
) -> Paper:
    p = Path(path)
    if p.is_dir():
        if not is_latex_dir(p):
            raise PaperError(f"{p}: folder without a main .tex file (\\documentclass)")
        return read_latex_dir(p, limits)
    if not p.is_file():
        raise PaperError(f"{p}: no such file" if not p.exists() else f"{p}: not a regular file or folder")
    limit = max_bytes if max_bytes is not None else (limits or ArchiveLimits()).max_total_bytes
    size = p.stat().st_size
    if size > limit:
        raise PaperError(f"{p}: {size:,} bytes, over the {limit:,}-byte limit")
    return _read_bytes(p.read_bytes(), str(p), None, limits, captions)
