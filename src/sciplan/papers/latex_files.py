"""A LaTeX project's files -> one expanded source: decoding, main file, includes, macros.

Works on an in-memory tree ({relative path: bytes}) so folders, tarballs and single
gzipped files are handled the same way, and nothing from an archive touches the disk.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field

from sciplan.papers.errors import PaperError

__all__ = ["TEX_SUFFIXES", "LatexSource", "decode_tex", "strip_comments", "find_main", "expand_project",
           "braced", "collect_macros", "expand_macros"]

TEX_SUFFIXES = (".tex", ".ltx", ".latex")
_MAX_DEPTH = 32
_MAX_SOURCE_CHARS = 20_000_000
_INPUTENC = re.compile(r"\\usepackage\s*\[([^\]]*)\]\s*\{inputenc\}")
_CODECS = {
    "utf8": "utf-8", "utf8x": "utf-8", "latin1": "latin-1", "latin9": "iso8859-15",
    "ansinew": "cp1252", "cp1252": "cp1252", "cp1250": "cp1250", "latin2": "iso8859-2",
    "applemac": "mac_roman", "koi8-r": "koi8-r", "cp1251": "cp1251", "cp866": "cp866",
}
_INCLUDE = re.compile(
    r"\\(?P<cmd>input|include|subfile|subfileinclude)\b\s*(?:\{(?P<arg>[^{}]*)\}|(?P<bare>[^\s{}\\%]+))"
    r"|\\(?P<icmd>import|subimport|inputfrom|subinputfrom|includefrom|subincludefrom)\*?\s*"
    r"\{(?P<dir>[^{}]*)\}\s*\{(?P<file>[^{}]*)\}"
)
_DOCCLASS = re.compile(r"\\document(?:class|style)\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}")
_MAIN_NAMES = ("main", "ms", "paper", "article", "manuscript", "arxiv", "root")


@dataclass
class LatexSource:
    """One expanded LaTeX document and what happened on the way."""

    text: str
    main: str
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)


def decode_tex(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of a .tex file: UTF-8, else the inputenc-declared one, else cp1252."""
    if b"\x00" in data[:65536]:
        raise PaperError(f"{name}: binary data, not a LaTeX text file")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    ascii_view = data.decode("latin-1")
    m = _INPUTENC.search(ascii_view)
    declared = None
    if m:
        declared = next((_CODECS[o.strip()] for o in m.group(1).split(",") if o.strip() in _CODECS), None)
    for codec in [c for c in (declared, "cp1252") if c and c != "utf-8"]:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return ascii_view, "latin-1"


def strip_comments(text: str) -> str:
    """Drop `%` comments as TeX does (the line end goes too), and comment/iffalse blocks."""
    out: list[str] = []
    join_next = False
    for line in text.splitlines():
        if join_next:
            line = line.lstrip()
        cut = _comment_start(line)
        join_next = cut is not None
        out.append(line[:cut] if cut is not None else line + "\n")
    text = "".join(out)
    text = re.sub(r"\\begin\{comment\}.*?\\end\{comment\}", "", text, flags=re.S)
    return re.sub(r"\\iffalse\b.*?\\fi\b", "", text, flags=re.S)


def _comment_start(line: str) -> int | None:
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c == "%":
            return i
        i += 1
    return None


def braced(text: str, start: int) -> tuple[str, int] | None:
    """The balanced `{...}` group opening at or after `start` (spaces skipped): (inside, end index)."""
    i = start
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i >= len(text) or text[i] != "{":
        return None
    depth = 0
    j = i
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], j + 1
        j += 1
    return None


def find_main(texts: dict[str, str], source: str) -> str:
    """The main file of a project: 00README, else a \\documentclass file not included by others."""
    if not texts:
        raise PaperError(f"{source}: no .tex file found")
    readme = texts.get("00README.json")
    if readme:
        try:
            for entry in json.loads(readme).get("sources", []):
                if entry.get("usage") == "toplevel" and entry.get("filename") in texts:
                    return entry["filename"]
        except (ValueError, AttributeError):
            pass
    tex = {n: t for n, t in texts.items() if n.lower().endswith(TEX_SUFFIXES)}
    if len(tex) == 1:
        return next(iter(tex))
    mains = []
    for name, text in tex.items():
        m = _DOCCLASS.search(text)
        if m and m.group(1).strip() != "subfiles":
            mains.append(name)
    if not mains:
        mains = [n for n, t in tex.items() if "\\begin{document}" in t]
    if not mains:
        names = ", ".join(sorted(tex))[:300]
        raise PaperError(f"{source}: no main .tex file (none has \\documentclass); files: {names}")
    included = {_resolve(m, n, tex)[0] for n in tex for m in _INCLUDE.finditer(tex[n])}
    ranked = sorted(
        mains,
        key=lambda n: (
            n in included,
            "\\begin{document}" not in tex[n],
            posixpath.splitext(posixpath.basename(n))[0].lower() not in _MAIN_NAMES,
            n.count("/"),
            -len(tex[n]),
        ),
    )
    return ranked[0]


def _resolve(m: re.Match[str], current: str, texts: dict[str, str]) -> tuple[str | None, str]:
    """The project path an include names (relative to the main folder, then the includer's)."""
    if m.group("icmd"):
        target = posixpath.join(m.group("dir").strip(), m.group("file").strip())
        bases = [posixpath.dirname(current), ""]
    else:
        target = (m.group("arg") if m.group("arg") is not None else m.group("bare") or "").strip().strip('"')
        bases = ["", posixpath.dirname(current)]
    for base in bases:
        path = posixpath.normpath(posixpath.join(base, target)) if target else ""
        for candidate in (path, path + ".tex"):
            if candidate in texts and candidate.lower().endswith(TEX_SUFFIXES):
                return candidate, target
    return None, target


def _document_body(text: str) -> str:
    m = re.search(r"\\begin\{document\}(.*?)(?:\\end\{document\}|$)", text, flags=re.S)
    return m.group(1) if m else text


def expand_project(texts: dict[str, str], main: str, source: str) -> LatexSource:
    """The main file with \\input, \\include, \\subfile and \\import resolved (cycles and depth guarded)."""
    result = LatexSource(text="", main=main)
    stripped: dict[str, str] = {}

    def load(name: str) -> str:
        if name not in stripped:
            stripped[name] = strip_comments(texts[name])
        return stripped[name]

    def expand(name: str, stack: tuple[str, ...], subfile: bool) -> str:
        if len(stack) > _MAX_DEPTH:
            raise PaperError(f"{source}: \\input nesting deeper than {_MAX_DEPTH} at {name}")
        result.files.append(name) if name not in result.files else None
        text = load(name)
        if subfile:
            text = _document_body(text)

        def replace(m: re.Match[str]) -> str:
            target, raw = _resolve(m, name, texts)
            if target is None:
                result.warnings.append(f"{name}: included file {raw!r} not found or not .tex; skipped")
                return ""
            if target in stack or target == name:
                result.warnings.append(f"{name}: include cycle through {target}; skipped")
                return ""
            is_sub = (m.group("cmd") or "").startswith("subfile")
            return "\n" + expand(target, (*stack, name), is_sub) + "\n"

        out = _INCLUDE.sub(replace, text)
        if len(out) > _MAX_SOURCE_CHARS:
            raise PaperError(f"{source}: expanded LaTeX passes {_MAX_SOURCE_CHARS:,} characters; refused")
        return out

    result.text = expand(main, (), False)
    return result


_DEF = re.compile(
    r"\\(?P<kind>newcommand|renewcommand|providecommand|DeclareRobustCommand|def|gdef|edef|xdef"
    r"|DeclareMathOperator)(?![A-Za-z@])\*?\s*"
)
# Expanding these would break the structure the readers rely on.
_PROTECTED = frozenset({"begin", "end", "section", "subsection", "subsubsection", "chapter", "part",
                        "paragraph", "input", "include", "item", "title", "author", "maketitle",
                        "newcommand", "renewcommand", "def", "documentclass", "usepackage"})


def collect_macros(text: str) -> tuple[dict[str, str], str]:
    """Argument-free macro definitions found in `text`, and `text` with every definition removed."""
    macros: dict[str, str] = {}
    pieces: list[str] = []
    pos = 0
    for m in _DEF.finditer(text):
        if m.start() < pos:
            continue
        i = m.end()
        kind = m.group("kind")
        name_match = re.match(r"\{\s*\\([A-Za-z@]+)\s*\}|\\([A-Za-z@]+)", text[i:])
        if not name_match:
            continue
        name = name_match.group(1) or name_match.group(2)
        i += name_match.end()
        takes_args = False
        if kind.endswith("def") and kind != "DeclareMathOperator":
            params = text[i:].split("{", 1)[0]  # what precedes the body (re `[^{]*` always matched)
            takes_args = "#" in params
            i += len(params)
        else:
            opt = re.match(r"\s*\[\s*(\d)\s*\](?:\s*\[[^\]]*\])?", text[i:])
            if opt:
                takes_args = int(opt.group(1)) > 0
                i += opt.end()
        body = braced(text, i)
        if body is None:
            continue
        inner, end = body
        if kind == "DeclareMathOperator":
            inner = f"\\operatorname{{{inner}}}"
        if not takes_args and name not in _PROTECTED and "#" not in inner:
            if not (kind == "providecommand" and name in macros):
                macros[name] = inner
        pieces.append(text[pos : m.start()])
        pos = end
    pieces.append(text[pos:])
    return macros, "".join(pieces)


def expand_macros(text: str, macros: dict[str, str], source: str, max_passes: int = 8) -> str:
    """Replace uses of argument-free macros by their bodies (nested up to `max_passes` deep)."""
    if not macros:
        return text
    pattern = re.compile(r"\\(" + "|".join(sorted(map(re.escape, macros), key=len, reverse=True)) + r")(?![A-Za-z@])")
    limit = max(4 * len(text), 1_000_000)
    for _ in range(max_passes):
        new = pattern.sub(lambda m: macros[m.group(1)], text)
        if len(new) > limit:
            raise PaperError(f"{source}: macro expansion grows the text past {limit:,} characters (a macro bomb?)")
        if new == text:
            break
        text = new
    return text
