"""The creator's view of a paper: section kinds, a token budget by tiers, the leakage-aware split."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.extract_judge import INTRO, METHOD, RESULTS, make_paper
from sciplan.extract import ContextConfig, build_context, section_kind, split_context
from sciplan.extract.context import allocate
from sciplan.papers import read_path
from sciplan.records import Section

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pmc"


@pytest.mark.parametrize("heading,kind", [
    ("Introduction", "introduction"), ("Materials and Methods", "method"), ("Experimental setup", "experiments"),
    ("Results and Discussion", "experiments"), ("Related Work", "related"), ("References", "skip"),
    ("Acknowledgments", "skip"), ("Appendix A", "appendix"), ("Background", "background"),
    ("Conclusions", "conclusion"), ("Limitations", "discussion"), ("Abstract", "abstract"), ("Zebrafish", "other"),
])
def test_section_kind(heading, kind):
    assert section_kind(heading) == kind


def test_allocate_water_fills():
    assert allocate([10, 20, 30], 100) == [10, 20, 30]
    assert allocate([10, 50, 50], 70) == [10, 30, 30]
    assert sum(allocate([5, 100, 7, 100], 60)) <= 60


def test_budget_favours_the_sections_that_matter():
    long = "Sentence about the topic. " * 200
    paper = make_paper(sections=[
        Section(heading="Related work", text=long), Section(heading="Introduction", text=INTRO),
        Section(heading="Methods", text=METHOD), Section(heading="Results", text=RESULTS),
        Section(heading="Appendix", text=long), Section(heading="References", text="[1] A. 2020."),
    ])
    cfg = ContextConfig(budget_tokens=220)
    ctx = build_context(paper, cfg)
    assert ctx.tokens <= cfg.budget_tokens
    # Tier 0 goes in whole; related work and the appendix only get what is left, cut.
    core = ["Abstract", "Introduction", "Methods", "Results"]
    assert set(core) <= set(ctx.included) and not set(core) & set(ctx.truncated)
    assert INTRO in ctx.text and METHOD in ctx.text and "[1] A. 2020." not in ctx.text
    assert {"Related work", "Appendix"} <= set(ctx.omitted + ctx.truncated) and long not in ctx.text


def test_leakage_aware_parts_come_from_different_sections():
    goal, rubric = split_context(make_paper(), ContextConfig(budget_tokens=400))
    assert INTRO in goal.text and METHOD not in goal.text
    assert METHOD in rubric.text and RESULTS in rubric.text and INTRO not in rubric.text


def test_a_real_paper_fits_its_budget():
    paper = read_path(CORPUS / "pone.0046493.nxml")
    paper = paper[0] if isinstance(paper, list) else paper
    cfg = ContextConfig(budget_tokens=800, min_section_tokens=40)
    ctx = build_context(paper, cfg)
    assert ctx.tokens <= cfg.budget_tokens and ctx.included[:2] == ["Abstract", "Introduction"]
    assert paper.title in ctx.text and len(paper.text) > 4 * len(ctx.text)
