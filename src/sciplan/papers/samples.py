"""Sample inputs written from a `Paper`: a two-column PDF, a LaTeX project, an e-print.

Tests, benchmarks and demos use these to exercise the readers on real files without
shipping binary fixtures: the PDF is laid out by PyMuPDF itself, the archives by tarfile.
"""

from __future__ import annotations

import gzip
import html
import io
import re
import tarfile

from sciplan.papers.pdf import import_pymupdf
from sciplan.records import Paper

pymupdf = import_pymupdf()

__all__ = ["paper_pdf", "paper_latex_files", "paper_eprint", "image_only_pdf", "encrypted_pdf", "gzipped"]

_CSS = """
h1 {font-size: 18px; font-weight: bold; text-align: center; font-family: sans-serif;}
h2 {font-size: 12px; font-weight: bold; font-family: sans-serif; margin-top: 8px;}
h3 {font-size: 10.5px; font-weight: bold; font-family: sans-serif;}
p {font-size: 9px; text-align: justify; margin-top: 2px; font-family: serif;}
.authors {text-align: center; font-size: 10px;}
.abstract {font-size: 9px; margin-left: 20px; margin-right: 20px;}
"""


def _numbered(paper: Paper) -> list[tuple[str, int, str]]:
    counters = [0, 0, 0, 0]
    out = []
    for s in paper.sections:
        lvl = min(max(s.level, 1), 3)
        counters[lvl - 1] += 1
        for i in range(lvl, len(counters)):
            counters[i] = 0
        number = ".".join(str(c) for c in counters[:lvl])
        out.append((f"{number} {s.heading}" if s.heading else "", lvl, s.text))
    return out


def paper_pdf(paper: Paper, *, columns: int = 2, page_size: str = "letter") -> bytes:
    """A PDF of `paper`: title and abstract across the page, the body in `columns` columns."""
    esc = html.escape
    header = f"<h1>{esc(paper.title)}</h1>"
    if paper.authors:
        header += f"<p class='authors'>{esc(', '.join(paper.authors))}</p>"
    if paper.abstract:
        header += f"<h2 style='text-align:center'>Abstract</h2><p class='abstract'>{esc(paper.abstract)}</p>"
    body = ""
    for heading, lvl, text in _numbered(paper):
        if heading:
            body += f"<h{lvl + 1}>{esc(heading)}</h{lvl + 1}>"
        body += "".join(f"<p>{esc(p)}</p>" for p in text.split("\n\n") if p.strip())
    rect = pymupdf.paper_rect(page_size)
    margin, gap = 54, 18
    width = (rect.width - 2 * margin - (columns - 1) * gap) / columns
    buf = io.BytesIO()
    writer = pymupdf.DocumentWriter(buf)
    head, story = pymupdf.Story(header, user_css=_CSS), pymupdf.Story(body, user_css=_CSS)
    more, first = True, True
    while more:
        dev = writer.begin_page(rect)
        top = margin
        if first:
            _, filled = head.place(pymupdf.Rect(margin, margin, rect.width - margin, rect.height - margin))
            head.draw(dev)
            top = pymupdf.Rect(filled).y1 + 14
            first = False
        for c in range(columns):
            x0 = margin + c * (width + gap)
            more, _ = story.place(pymupdf.Rect(x0, top, x0 + width, rect.height - margin))
            story.draw(dev)
            if not more:
                break
        writer.end_page()
    writer.close()
    return buf.getvalue()


def _tex_escape(text: str) -> str:
    text = re.sub(r"([&%#_])", r"\\\1", text)
    return text.replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")


def paper_latex_files(paper: Paper, *, split: bool = True) -> dict[str, bytes]:
    """A LaTeX project for `paper` ({path: bytes}); with `split`, each section is its own \\input file."""
    commands = ["section", "subsection", "subsubsection"]
    main = [
        r"\documentclass{article}",
        r"\newcommand{\papertitle}{" + _tex_escape(paper.title) + "}",
        r"\title{\papertitle}",
        r"\author{" + r" \and ".join(_tex_escape(a) for a in paper.authors) + "}",
        r"\begin{document}",
        r"\maketitle",
        r"\begin{abstract}",
        _tex_escape(paper.abstract),
        r"\end{abstract}",
    ]
    files: dict[str, bytes] = {}
    for i, s in enumerate(paper.sections):
        cmd = commands[min(max(s.level, 1), 3) - 1]
        body = f"\\{cmd}{{{_tex_escape(s.heading)}}}\n% a comment that must not appear\n{_tex_escape(s.text)}\n"
        if split:
            name = f"sections/s{i:02d}"
            files[name + ".tex"] = body.encode("utf-8")
            main.append(f"\\input{{{name}}}")
        else:
            main.append(body)
    main.append(r"\end{document}")
    files["main.tex"] = ("\n".join(main) + "\n").encode("utf-8")
    return files


def paper_eprint(paper: Paper) -> bytes:
    """An arXiv-style e-print of `paper`: a gzipped tar of its LaTeX project."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in sorted(paper_latex_files(paper).items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def image_only_pdf(pdf: bytes, *, dpi: int = 50) -> bytes:
    """`pdf` rasterised page by page: what a scanner gives, with no text layer."""
    src = pymupdf.open(stream=pdf, filetype="pdf")
    out = pymupdf.open()
    for page in src:
        pix = page.get_pixmap(dpi=dpi)
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, pixmap=pix)
    return out.tobytes()


def encrypted_pdf(pdf: bytes, password: str = "secret") -> bytes:
    """`pdf` encrypted with AES-256 so that opening it needs `password`."""
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    buf = io.BytesIO()
    doc.save(buf, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw=password + "-owner")
    return buf.getvalue()


def gzipped(data: bytes) -> bytes:
    """`data` gzip-compressed (deterministic: no timestamp)."""
    return gzip.compress(data, mtime=0)
