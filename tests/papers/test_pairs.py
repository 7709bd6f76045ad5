"""One paper, two forms: its LaTeX project (with build leftovers) and its PDF give the same record
(issue 18, items 11-13). The PDFs were laid out once by fixtures/pairs/make_pairs.py in the
manner of the ACM, AASTeX and NeurIPS templates; nothing is compiled here."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from sciplan.jsonl import read_records
from sciplan.papers import ingest, read_path
from sciplan.papers.agreement import ABSTRACT_SIMILARITY, compare_forms
from sciplan.papers.samples import paper_pdf
from sciplan.records import Paper

PAIRS = Path(__file__).parent / "fixtures" / "pairs"
SOURCE = json.loads((PAIRS / "papers.json").read_text())
NAMES = ["acm", "aastex", "neurips"]


def _project_with_leftovers(tmp_path: Path, name: str) -> Path:
    """The LaTeX folder as a user leaves it after compiling: the PDF, synctex, logs, a figure PDF."""
    project = tmp_path / name
    shutil.copytree(PAIRS / name, project)
    shutil.copy(PAIRS / f"{name}.pdf", project / "main.pdf")
    (project / "main.synctex.gz").write_bytes(gzip.compress(b"SyncTeX Version:1\n" + b"x:1,2\n" * 5000, mtime=0))
    for ext in ("aux", "log", "bbl", "blg", "out", "fdb_latexmk", "fls", "run.xml", "bcf"):
        (project / f"main.{ext}").write_text(f"% {ext} written by the TeX run\n")
    (project / "figures").mkdir()
    figure = Paper(id="x", title="Flux", sections=[], abstract="a figure")
    (project / "figures" / "flux.pdf").write_bytes(paper_pdf(figure))
    return project


@pytest.mark.parametrize("name", NAMES)
def test_a_compiled_project_folder_is_one_paper(tmp_path, name):
    project = _project_with_leftovers(tmp_path, name)
    summary = ingest([project], tmp_path / "papers.jsonl")
    assert (summary.written, summary.failed, summary.skipped) == (1, 0, 0)
    [paper] = read_records(tmp_path / "papers.jsonl", Paper)
    assert paper.source_format == "latex" and paper.title == SOURCE[name]["title"]


@pytest.mark.parametrize("name", NAMES)
def test_latex_and_pdf_give_the_same_title_abstract_and_headings(name):
    latex = read_path(PAIRS / name)
    pdf = read_path(PAIRS / f"{name}.pdf")
    truth = SOURCE[name]
    got = compare_forms(latex, pdf)
    assert got.title, (latex.title, pdf.title)
    assert got.abstract >= ABSTRACT_SIMILARITY, (latex.abstract, pdf.abstract)
    assert got.headings, (got.latex_headings, got.pdf_headings)
    # The abstract stops where it stops: no label before it, no keywords, CCS or copyright after it.
    for paper in (latex, pdf):
        assert paper.abstract.split()[:3] == truth["abstract"].split()[:3]
        assert paper.abstract.rstrip(".").endswith(truth["abstract"].rstrip(".")[-40:])
    assert got.latex_headings == [s["pdf_heading"].casefold() for s in truth["sections"]]


def test_formatted_words_stay_in_latex_headings_and_front_matter_makes_no_section():
    acm, aas = read_path(PAIRS / "acm"), read_path(PAIRS / "aastex")
    assert "The gsamp Sampler" in [s.heading for s in acm.sections]  # \section{The \texttt{gsamp} Sampler}
    for paper in (acm, aas):
        assert all(s.heading for s in paper.sections)  # no untitled section holding an author's name
        assert not any("Lindqvist" in s.text or "Okafor" in s.text for s in paper.sections)


def test_pdf_structure_on_publisher_layouts():
    acm, aas = read_path(PAIRS / "acm.pdf"), read_path(PAIRS / "aastex.pdf")
    text = acm.text + aas.text
    # Words hyphenated at line ends are whole again.
    for word in ("communication", "correlations", "neighbourhood", "estimators", "photometry"):
        assert word in text, word
    assert "communicat-" not in text
    assert aas.title.casefold() == SOURCE["aastex"]["title"].casefold()  # plain type, no larger size
    headings = [s.heading for s in acm.sections + aas.sections]
    assert "Flux density (mJy)" not in headings and not any(h.startswith("Facilities") for h in headings)
    assert "HST(STIS)" not in aas.text and "Permission to make digital" not in acm.text
