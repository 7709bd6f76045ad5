"""LaTeX sources -> `Paper`: a folder, a (gzipped) tar e-print, or one (gzipped) .tex file.

Title, authors and abstract come from their commands; the body is split at the
sectioning commands and each part is turned into text with pylatexenc. Math stays as
LaTeX. Figures, tables and the bibliography are dropped.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from pathlib import Path

from pylatexenc.latex2text import EnvironmentTextSpec, LatexNodes2Text, MacroTextSpec
from pylatexenc.latex2text import get_default_latex_context_db as l2t_db
from pylatexenc.latexwalker import LatexWalker
from pylatexenc.latexwalker import get_default_latex_context_db as walker_db
from pylatexenc.macrospec import MacroSpec

from sciplan.papers.archive import ArchiveLimits, read_tree
from sciplan.papers.errors import PaperError
from sciplan.papers.identity import content_id, sha256_hex
from sciplan.papers.latex_files import (
    TEX_SUFFIXES,
    braced,
    collect_macros,
    decode_tex,
    expand_macros,
    expand_project,
    find_main,
)
from sciplan.papers.sections import clean_text, tidy_sections
from sciplan.records import Paper, Section

__all__ = ["latex_to_text", "read_latex_tree", "read_latex_dir", "is_latex_dir", "wanted_source"]

log = logging.getLogger(__name__)

_LEVELS = {"part": 0, "chapter": 1, "section": 2, "subsection": 3, "subsubsection": 4}
_SECTION = re.compile(r"\\(part|chapter|section|subsection|subsubsection)\*?\s*(?:\[[^\]]*\])?\s*(?=\{)")
_CITES = ("cite", "citep", "citet", "citealp", "citealt", "citeauthor", "citeyear", "parencite",
          "textcite", "autocite", "footcite", "nocite", "Cite", "Citep", "Citet")
_REFS = ("ref", "eqref", "autoref", "cref", "Cref", "pageref", "nameref", "vref", "Autoref")
_DROP_MACROS = ("label", "includegraphics", "maketitle", "tableofcontents", "appendix", "bibliographystyle",
                "bibliography", "printbibliography", "newpage", "clearpage", "vspace", "hspace", "thanks",
                "keywords", "addbibresource", "linenumbers", "acknowledgments")
_DROP_ENVS = ("figure", "figure*", "table", "table*", "tikzpicture", "thebibliography", "wrapfigure",
              "subfigure", "acknowledgments", "acknowledgements", "acks", "keywords", "abstract")
_TITLE_CMDS = ("title", "icmltitle", "Title")
# Formatting that keeps its argument's text (pylatexenc drops some of these, e.g. \texttt, with the text).
_KEEP_ARG = ("texttt", "textsf", "textrm", "textup", "textmd", "textnormal", "textsl", "textit", "textbf", "textsc",
             "emph", "underline", "uline", "mbox", "hbox", "text", "textls", "textsuperscript", "textsubscript")
# Front matter that may sit in the body (journal and ACM templates); removed with all its {...} groups.
_FRONT_MATTER = (*_TITLE_CMDS, "author", "icmlauthor", "date", "affiliation", "address", "email", "abstract",
                 "correspondingauthor", "altaffiliation", "authornote", "authornotemark", "orcid", "affil",
                 "institute", "shorttitle", "shortauthors", "received", "revised", "accepted", "published",
                 "submitjournal", "ccsdesc", "acmConference", "acmBooktitle", "acmYear", "acmDOI", "acmISBN",
                 "acmPrice", "acmJournal", "acmVolume", "acmNumber", "acmArticle", "acmMonth", "copyrightyear",
                 "setcopyright", "settopmatter", "additionalaffiliation", "titlenote", "subtitle", "keywords",
                 "IEEEauthorblockN", "IEEEauthorblockA", "thanks")
# An untitled stretch before the first heading shorter than this is front-matter residue, not a section.
_MIN_LEAD_WORDS = 40


def _converter() -> tuple[object, LatexNodes2Text]:
    wdb = walker_db()
    wdb.add_context_category(
        "sciplan",
        prepend=True,
        macros=[MacroSpec("href", "{{"), *[MacroSpec(c, "*[[{") for c in _CITES], *[MacroSpec(r, "*{") for r in _REFS],
                *[MacroSpec(m, "{") for m in _KEEP_ARG],
                MacroSpec("includegraphics", "*[{"), MacroSpec("thanks", "{"), MacroSpec("keywords", "{"),
                MacroSpec("vspace", "*{"), MacroSpec("hspace", "*{"), MacroSpec("bibliography", "{"),
                MacroSpec("bibliographystyle", "{"), MacroSpec("addbibresource", "{")],
    )
    tdb = l2t_db()
    tdb.add_context_category(
        "sciplan",
        prepend=True,
        macros=[MacroTextSpec("href", simplify_repl="%(2)s"),
                *[MacroTextSpec(m, simplify_repl="%(1)s") for m in _KEEP_ARG],
                *[MacroTextSpec(c, simplify_repl="[cite]") for c in _CITES],
                *[MacroTextSpec(r, simplify_repl="[ref]") for r in _REFS],
                *[MacroTextSpec(m, discard=True) for m in _DROP_MACROS]],
        environments=[EnvironmentTextSpec(e, discard=True) for e in _DROP_ENVS],
    )
    return wdb, LatexNodes2Text(latex_context=tdb, math_mode="verbatim", strict_latex_spaces=False)


_WALKER_DB, _L2T = _converter()


def latex_to_text(latex: str) -> str:
    """Plain text of a LaTeX fragment (math kept as LaTeX); never raises on odd input."""
    try:
        walker = LatexWalker(latex, latex_context=_WALKER_DB, tolerant_parsing=True)
        nodes, _, _ = walker.get_latex_nodes()
        return _L2T.nodelist_to_text(nodes)
    except Exception as exc:  # pylatexenc has crash bugs on odd input; fall back to a crude strip
        log.debug("pylatexenc failed (%s); using the plain fallback", exc)
        text = re.sub(r"\\(?:cite\w*|ref|eqref|label)\*?(?:\[[^\]]*\])*\{[^}]*\}", "", latex)
        text = re.sub(r"\\[A-Za-z@]+\*?", " ", text)
        return text.replace("{", "").replace("}", "")


def _command_args(text: str, names: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """Every `\\name[opt]{arg}` in text as (arg, start, end)."""
    out = []
    pattern = re.compile(r"\\(?:" + "|".join(names) + r")(?![A-Za-z@])\*?\s*(?:\[[^\]]*\])?")
    for m in pattern.finditer(text):
        got = braced(text, m.end())
        if got:
            out.append((got[0], m.start(), got[1]))
    return out


def _command_spans(text: str, names: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) of every `\\name[opt]{arg}{arg}...`, all its brace groups included."""
    spans = []
    for _, start, end in _command_args(text, names):
        while (more := braced(text, end)) is not None and "\n\n" not in text[end:text.find("{", end)]:
            end = more[1]
        spans.append((start, end))
    return spans


def _remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + text[end:]
    return text


def _strip_notes(latex: str) -> str:
    spans = [(s, e) for _, s, e in _command_args(
        latex, ("thanks", "footnote", "footnotemark", "inst", "affiliation", "affil", "email", "orcid",
                "IEEEauthorblockA", "address", "institute", "icmlaffiliation", "footnotetext"))]
    return _remove_spans(latex, spans)


def _authors(latex_args: list[str]) -> list[str]:
    names: list[str] = []
    for arg in latex_args:
        for chunk in re.split(r"\\(?:and|AND|And)(?![A-Za-z])|\\IEEEauthorblockN", _strip_notes(arg)):
            first = re.split(r"\\\\", chunk, maxsplit=1)[0]
            for name in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", " ".join(latex_to_text(first).split())):
                name = re.sub(r"[\d*†‡§¶,]+$", "", name).strip()
                if name and len(name) < 80:
                    names.append(name)
    return names


def _split_sections(body: str) -> list[Section]:
    matches = list(_SECTION.finditer(body))
    sections: list[Section] = []
    lead = body[: matches[0].start()] if matches else body
    top = min((_LEVELS[m.group(1)] for m in matches), default=2)
    lead_text = latex_to_text(lead).strip()
    if lead_text and (not matches or len(lead_text.split()) >= _MIN_LEAD_WORDS):
        sections.append(Section(heading="", text=lead_text, level=top))
    for i, m in enumerate(matches):
        got = braced(body, m.end())
        if got is None:
            continue
        title, start = got
        end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
        heading = " ".join(latex_to_text(title).split())
        sections.append(Section(heading=heading, text=latex_to_text(body[start:end]), level=_LEVELS[m.group(1)]))
    return sections


def wanted_source(name: str) -> bool:
    """True for the members of a LaTeX project worth reading (TeX sources and arXiv's 00README)."""
    return name.lower().endswith(TEX_SUFFIXES) or posixpath.basename(name) in ("00README.json",)


def read_latex_tree(files: dict[str, bytes], source: str, *, digest: str | None = None) -> Paper:
    """A `Paper` from the files of a LaTeX project ({relative path: bytes})."""
    texts: dict[str, str] = {}
    encodings: dict[str, str] = {}
    for name, data in files.items():
        if wanted_source(name):
            texts[name], encodings[name] = decode_tex(data, f"{source}:{name}")
    main = find_main(texts, source)
    project = expand_project(texts, main, source)
    macros, text = collect_macros(project.text)
    text = expand_macros(text, macros, source)
    begin = re.search(r"\\begin\{document\}", text)
    preamble, body = (text[: begin.start()], text[begin.end():]) if begin else ("", text)
    body = re.split(r"\\end\{document\}", body, maxsplit=1)[0]

    titles = _command_args(preamble, _TITLE_CMDS) or _command_args(body, _TITLE_CMDS)
    title = " ".join(latex_to_text(_strip_notes(titles[0][0]).replace("\\\\", " ")).split()) if titles else ""
    author_args = _command_args(preamble, ("author", "icmlauthor")) + _command_args(body, ("author", "icmlauthor"))
    abstract_m = re.search(r"\\begin\{abstract\}(.*?)\\end\{abstract\}", body, flags=re.S)
    abstract_latex = abstract_m.group(1) if abstract_m else ""
    if not abstract_m:
        found = _command_args(body, ("abstract",)) or _command_args(preamble, ("abstract",))
        abstract_latex = found[0][0] if found else ""
    # Front matter in the body is not body text.
    body = _remove_spans(body, _command_spans(body, _FRONT_MATTER))
    body = re.split(r"\\begin\{thebibliography\}", body, maxsplit=1)[0]

    sections = tidy_sections(_split_sections(body))
    if not sections and not abstract_latex.strip():
        raise PaperError(f"{source}: no text found in the LaTeX source (main file {main})")
    warnings = project.warnings[:]
    if not title:
        warnings.append("no \\title found; used the main file name")
        title = posixpath.splitext(posixpath.basename(main))[0]
    odd = {n: e for n, e in encodings.items() if e != "utf-8"}
    if odd:
        warnings.append("not UTF-8: " + ", ".join(f"{n} read as {e}" for n, e in sorted(odd.items())))
    digest = digest or sha256_hex(b"".join(files[n] for n in sorted(files)))
    return Paper(
        id=content_id(digest),
        title=title,
        abstract=clean_text(latex_to_text(abstract_latex)),
        sections=sections,
        authors=_authors([a for a, _, _ in author_args]),
        ids={"sha256": digest},
        source_format="latex",
        meta={"main_file": main, "files": project.files, "macros_expanded": len(macros), "warnings": warnings},
    )


# A folder holding papers in these formats is a folder of papers, even beside a .tex file.
_OTHER_PAPERS = (".nxml", ".xml", ".md", ".markdown", ".gz", ".tgz", ".tar")
# What compiling a project leaves beside its sources: never a sign of another paper.
BUILD_PRODUCTS = (".aux", ".log", ".bbl", ".blg", ".synctex.gz", ".synctex", ".synctex(busy)", ".out",
                  ".fdb_latexmk", ".fls", ".toc", ".lof", ".lot", ".nav", ".snm", ".vrb", ".run.xml", ".bcf",
                  ".xdv", ".dvi", ".idx", ".ilg", ".ind", ".brf", ".spl", ".thm", ".loa", ".glo", ".gls", ".glg",
                  ".ist", ".acn", ".acr", ".alg", ".pdfsync", ".ent", ".soc", ".nlo", ".nls", ".upa", ".upb")


def is_latex_dir(path: str | os.PathLike[str]) -> bool:
    """True when a folder is one LaTeX project: exactly one top-level main .tex, no other papers beside it."""
    mains = 0
    for child in Path(path).iterdir():
        if not child.is_file():
            continue
        name = child.name.lower()
        if name.endswith(BUILD_PRODUCTS):
            continue
        if name.endswith(_OTHER_PAPERS):
            return False
        if name.endswith(TEX_SUFFIXES):
            with open(child, "rb") as fh:
                m = re.search(rb"\\document(?:class|style)\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}", fh.read(200_000))
            if m and m.group(1).strip() not in (b"subfiles", b"standalone"):
                mains += 1
    return mains == 1


def read_latex_dir(path: str | os.PathLike[str], limits: ArchiveLimits | None = None) -> Paper:
    """A `Paper` from a LaTeX project folder."""
    files = read_tree(path, limits, want=wanted_source)
    digest = sha256_hex("\0".join(f"{n}\0{sha256_hex(files[n])}" for n in sorted(files)).encode())
    return read_latex_tree(files, str(path), digest=digest)
