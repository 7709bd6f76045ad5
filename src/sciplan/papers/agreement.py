"""How far two forms of one paper (its LaTeX source and its PDF) give the same record.

Three checks a user would notice: the same title, an abstract that stops where the
abstract stops (the same text, nothing after it), and the same top-level headings.
Case and spacing are ignored: a PDF may print a title or headings in capitals.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sciplan.papers.sections import min_level
from sciplan.records import Paper

__all__ = ["FormAgreement", "compare_forms", "ABSTRACT_SIMILARITY"]

# Two abstracts agree above this similarity (line-break artefacts and ligatures cost a little).
ABSTRACT_SIMILARITY = 0.95


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def top_headings(paper: Paper) -> list[str]:
    """The paper's top-level headings, normalised."""
    top = min_level(paper.sections)
    return [_norm(s.heading) for s in paper.sections if s.level == top and s.heading]


@dataclass
class FormAgreement:
    """The three checks for one pair, and what each side said."""

    title: bool
    abstract: float
    headings: bool
    latex_headings: list[str]
    pdf_headings: list[str]

    @property
    def checks(self) -> list[bool]:
        """title, abstract, headings: each agrees or not."""
        return [self.title, self.abstract >= ABSTRACT_SIMILARITY, self.headings]

    @property
    def agree(self) -> bool:
        """True when all three checks agree."""
        return all(self.checks)


def compare_forms(latex: Paper, pdf: Paper) -> FormAgreement:
    """Compare the record read from a paper's LaTeX source with the one read from its PDF."""
    ratio = difflib.SequenceMatcher(None, _norm(latex.abstract), _norm(pdf.abstract), autojunk=False).ratio()
    lh, ph = top_headings(latex), top_headings(pdf)
    return FormAgreement(title=_norm(latex.title) == _norm(pdf.title), abstract=ratio, headings=lh == ph,
                         latex_headings=lh, pdf_headings=ph)
