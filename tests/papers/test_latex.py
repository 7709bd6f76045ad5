"""LaTeX reader: multi-file projects, e-prints, gzipped .tex, encodings, macros, comments, cycles."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from helpers.samples import paper_eprint
from sciplan.papers import PaperError, read_bytes, read_latex_dir, read_latex_tree, read_path
from sciplan.papers.latex import is_latex_dir, latex_to_text
from sciplan.papers.latex_files import collect_macros, decode_tex, expand_macros, find_main, strip_comments

MAIN = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\newcommand{\R}{\mathbb{R}}
\newcommand{\method}{\textsc{FastPlan}}
\newcommand{\vect}[1]{\mathbf{#1}}
\def\eg{e.g.\ }
\DeclareMathOperator*{\argmax}{arg\,max}
\title{Learning to Plan with \method\thanks{Work done while at X.}}
\author{Ada Lovelace\thanks{Equal contribution.} \\ Analytical Engines Ltd. \and Alan Turing \\ Bletchley Park}
\begin{document}
\maketitle
\begin{abstract}
We propose \method, which maps $x \in \R^d$ to plans. % a private remark
It improves success by 50\% on three benchmarks.
\end{abstract}
\input{sections/intro}
\include{sections/method}
\section{Results}\label{sec:res}
Table~\ref{tab:main} shows \eg the results of \cite{smith2020}.
\begin{table}\begin{tabular}{cc}SECRET & CELL\end{tabular}\caption{Secret caption}\label{tab:main}\end{table}
See \href{https://example.org}{our project page}.
\iffalse
This paragraph was switched off.
\fi
\bibliographystyle{plain}
\bibliography{refs}
\end{document}
"""
INTRO = r"""\section{Introduction}
Planning is hard~\citep{a,b}. We pick $\argmax_{y} f(y)$ over $\R$.
%\input{sections/never}
\input{sections/intro}
"""
METHOD = r"""\section{Method}
\subsection{Setup}
Let $\vect{v}$ be a vector and
\begin{equation}
  L = \sum_i \ell_i .
\end{equation}
\subsection*{Details}
More details.\footnote{A footnote.}
"""


def _project(root: Path) -> Path:
    (root / "sections").mkdir(parents=True)
    (root / "main.tex").write_text(MAIN, encoding="utf-8")
    (root / "sections" / "intro.tex").write_text(INTRO, encoding="utf-8")
    (root / "sections" / "method.tex").write_text(METHOD, encoding="utf-8")
    (root / "figure.pdf").write_bytes(b"%PDF-1.4 not read")
    return root


def test_multi_file_project_with_input_include_and_macros(tmp_path):
    root = _project(tmp_path / "paper")
    assert is_latex_dir(root)
    p = read_latex_dir(root)
    assert p.title == "Learning to Plan with FastPlan"
    assert p.authors == ["Ada Lovelace", "Alan Turing"]
    assert p.abstract == (r"We propose FastPlan, which maps $x \in \mathbb{R}^d$ to plans. "
                          "It improves success by 50% on three benchmarks.")
    assert [(s.heading, s.level) for s in p.sections] == [
        ("Introduction", 1), ("Method", 1), ("Setup", 2), ("Details", 2), ("Results", 1)]
    intro, _, setup, details, results = p.sections
    # Argument-free macros are expanded, math stays LaTeX, macros with arguments are left alone.
    assert r"$\operatorname{arg\,max}_{y} f(y)$ over $\mathbb{R}$" in intro.text
    assert r"$\vect{v}$" in setup.text and r"\begin{equation}" in setup.text
    assert "[cite]" in intro.text and "[ref]" in results.text and "our project page" in results.text
    for gone in ("private remark", "SECRET", "Secret caption", "switched off", "refs", "never"):
        assert gone not in p.text
    assert p.source_format == "latex" and p.id.startswith("file:")
    assert p.meta["main_file"] == "main.tex"
    assert p.meta["files"] == ["main.tex", "sections/intro.tex", "sections/method.tex"]
    assert any("include cycle" in w for w in p.meta["warnings"])


def test_project_id_is_stable_and_content_addressed(tmp_path):
    a = read_latex_dir(_project(tmp_path / "a"))
    b = read_latex_dir(_project(tmp_path / "b"))
    assert a.id == b.id
    (tmp_path / "b" / "sections" / "method.tex").write_text(METHOD + "Changed.\n", encoding="utf-8")
    assert read_latex_dir(tmp_path / "b").id != a.id


def test_tar_gz_eprint_built_from_a_real_article(real_papers, tmp_path):
    jats = real_papers["bmc"]
    path = tmp_path / "2401.01234.tar.gz"
    path.write_bytes(paper_eprint(jats))
    p = read_path(path)
    assert p.title == jats.title
    assert [s.heading for s in p.sections] == [s.heading for s in jats.sections]
    assert p.abstract.split()[:8] == jats.abstract.split()[:8]
    assert "a comment that must not appear" not in p.text
    assert p.meta["main_file"] == "main.tex" and len(p.meta["files"]) == len(jats.sections) + 1


def test_gzipped_single_tex_file(tmp_path):
    tex = MAIN.replace(r"\input{sections/intro}", INTRO).replace(r"\include{sections/method}", METHOD)
    path = tmp_path / "paper.tex.gz"
    path.write_bytes(gzip.compress(tex.encode(), mtime=0))
    p = read_path(path)
    assert p.title == "Learning to Plan with FastPlan"
    assert [s.heading for s in p.sections] == ["Introduction", "Method", "Setup", "Details", "Results"]


def test_plain_tar_and_nested_main_file():
    files = {f"src/{k}": v for k, v in paper_latex_files_simple().items()}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    p = read_bytes(buf.getvalue(), "eprint.tar")
    assert p.title == "A Small Paper" and p.sections[0].heading == "Intro"


def paper_latex_files_simple() -> dict[str, bytes]:
    return {
        "main.tex": rb"\documentclass{article}\title{A Small Paper}\begin{document}\input{body}\end{document}",
        "body.tex": b"\\section{Intro}\nSome text that is long enough to be a section of a paper.\n",
    }


def test_latin1_source_with_inputenc_is_decoded():
    tex = "\\documentclass{article}\\usepackage[latin1]{inputenc}\\title{Caf\xe9 na\xefve}\n" \
          "\\begin{document}\\section{R\xe9sum\xe9}Les donn\xe9es sont \xe9tudi\xe9es.\\end{document}"
    p = read_latex_tree({"main.tex": tex.encode("latin-1")}, "latin.tex")
    assert p.title == "Café naïve" and p.sections[0].heading == "Résumé"
    assert "données sont étudiées" in p.sections[0].text
    assert any("read as latin-1" in w for w in p.meta["warnings"])


def test_undeclared_non_utf8_falls_back_and_says_so():
    tex = (b"\\documentclass{article}\\title{Gr\x9f\xdfe}\\begin{document}"
           b"\\section{A}Stra\xdfe \x93quoted\x94.\\end{document}")
    p = read_latex_tree({"main.tex": tex}, "cp.tex")
    assert "Straße" in p.sections[0].text
    assert any("cp1252" in w or "latin-1" in w for w in p.meta["warnings"])


def test_binary_tex_is_a_clear_error():
    with pytest.raises(PaperError, match=r"bin\.tex:main\.tex: binary data"):
        read_latex_tree({"main.tex": b"\\documentclass\x00\x01\x02"}, "bin.tex")


def test_no_main_file_is_a_clear_error():
    with pytest.raises(PaperError, match="proj: no main .tex file"):
        read_latex_tree({"a.tex": b"\\section{A} text", "b.tex": b"\\section{B} text"}, "proj")


def test_main_file_is_the_one_not_included():
    texts = {
        "appendix.tex": "\\documentclass{article}\\begin{document}x\\end{document}",
        "paper.tex": "\\documentclass{article}\\begin{document}\\input{appendix}\\end{document}",
        "sub.tex": "\\documentclass[paper]{subfiles}\\begin{document}y\\end{document}",
    }
    assert find_main(texts, "p") == "paper.tex"


def test_subfile_contributes_only_its_body():
    files = {
        "main.tex": rb"\documentclass{article}\title{T}\begin{document}\subfile{part}\end{document}",
        "part.tex": rb"\documentclass[main]{subfiles}\begin{document}\section{Part}Body of the part."
                    rb"\end{document}",
    }
    p = read_latex_tree(files, "subfiles")
    assert [s.heading for s in p.sections] == ["Part"] and "subfiles" not in p.text


def test_comments_follow_tex_rules():
    assert strip_comments("a % c\nb\n") == "a b\n"
    assert strip_comments("50\\% off % gone\n") == "50\\% off "
    assert strip_comments("x\n%whole line\n\ny\n") == "x\n\ny\n"
    assert strip_comments("a \\\\% comment after a line break\n") == "a \\\\"


def test_macro_collection_and_expansion():
    macros, rest = collect_macros(
        r"\newcommand{\a}{A}\newcommand\b[1]{#1}\def\c{C}\def\d#1{#1}\renewcommand*{\e}{\a\c}text")
    assert macros == {"a": "A", "c": "C", "e": r"\a\c"}
    assert rest == "text"
    assert expand_macros(r"\e and \ab \a.", macros, "m") == r"AC and \ab A."


def test_macro_bomb_is_refused():
    names = [f"x{c}" for c in "abcdefghijk"]
    defs = r"\def\xa{boom}" + "".join(
        "\\def\\" + names[i] + "{" + ("\\" + names[i - 1]) * 4 + "}" for i in range(1, len(names)))
    macros, rest = collect_macros(defs + r"\begin{document}\xk\end{document}")
    assert len(macros) == len(names)
    with pytest.raises(PaperError, match="bomb.tex: macro expansion grows"):
        expand_macros(rest, macros, "bomb.tex", max_passes=20)
    # The default pass limit alone also bounds the work.
    assert len(expand_macros(rest, macros, "bomb.tex")) < 1_000_000


def test_decode_prefers_utf8():
    assert decode_tex("é".encode(), "u.tex") == ("é", "utf-8")


def test_pylatexenc_crash_falls_back_to_plain_text():
    # pylatexenc 2.x raises IndexError on \href without our spec; the reader must never crash.
    assert "page" in latex_to_text(r"\href{https://x.org}{page}")
    assert latex_to_text(r"\unknowncmd{kept} $a$").strip() == "kept $a$"
