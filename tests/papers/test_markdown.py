"""Markdown and plain-text readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sciplan.papers import PaperError, read_markdown, read_text

MD = b"""---
title: Rubric Rewards in Practice
authors: [Ada Lovelace, Alan Turing]
---

## Abstract
We train planners
with rubric rewards.

## 1 Introduction
Plans are **graded** against [rubrics](https://example.org) drawn from papers.

```
# a code comment, not a heading
```

### 1.1 Details
Inline math $x^2$ stays.

Setext Heading
--------------
Body under a setext heading.
"""


def test_markdown_front_matter_sections_and_abstract():
    p = read_markdown(MD, "notes.md")
    assert p.title == "Rubric Rewards in Practice"
    assert p.authors == ["Ada Lovelace", "Alan Turing"]
    assert p.abstract == "We train planners with rubric rewards."
    assert [(s.heading, s.level) for s in p.sections] == [
        ("Introduction", 1), ("Details", 2), ("Setext Heading", 1)]
    intro = p.sections[0].text
    assert intro.startswith("Plans are graded against rubrics drawn from papers.")
    assert "# a code comment, not a heading" in intro
    assert "$x^2$" in p.sections[1].text
    assert p.source_format == "markdown" and p.id.startswith("file:")


def test_markdown_front_matter_sets_date_license_domain_and_ignores_bad_values(caplog):
    head = b"---\ntitle: T\ndate: 2025-03-14\nlicense: CC-BY-4.0\ndomain: machine learning\nvenue: Demo\n---\n"
    p = read_markdown(head + b"## Methods\nWe did things.\n", "fm.md")
    assert (str(p.date), p.license, p.domain, p.venue) == ("2025-03-14", "CC-BY-4.0", "ml", "Demo")
    bad = read_markdown(b"---\ntitle: T\ndate: soon\ndomain: astrology\n---\n## M\nText.\n", "bad.md")
    assert bad.date is None and bad.domain is None
    assert "bad.md" in caplog.text and "astrology" in caplog.text


def test_shipped_demo_papers_read_with_their_metadata():
    from importlib.resources import files

    from sciplan.papers import read_path

    folder = files("sciplan") / "data" / "demo_papers"
    papers = {p.name: read_path(p) for p in map(Path, (str(x) for x in folder.iterdir()))}
    assert set(papers) == {"loss-variance-curriculum.md", "sms-adherence-pilot.xml", "radiative-cooling-tiles.tex"}
    for paper in papers.values():
        assert paper.title and len(paper.abstract) > 300 and len(paper.sections) >= 4
    assert papers["loss-variance-curriculum.md"].domain == "ml"
    assert papers["sms-adherence-pilot.xml"].license == "CC-BY-4.0"


def test_markdown_first_heading_is_the_title_and_lead_is_the_abstract():
    p = read_markdown(b"# My Paper\n\nThe lead paragraph.\n\n## Methods\nWe did things.\n", "p.md")
    assert p.title == "My Paper" and p.abstract == "The lead paragraph."
    assert [s.heading for s in p.sections] == ["Methods"]


def test_plain_text_title_abstract_and_numbered_headings():
    txt = (b"A Plain Title\n\nAbstract: This is the abstract\nwrapped on two lines.\n\n1 Introduction\n\n"
           b"We introduce things that\nwrap lines.\n\n2 Methods\n\n2.1 Data\n\nData text is here.\n")
    p = read_text(txt, "paper.txt")
    assert p.title == "A Plain Title"
    assert p.abstract == "This is the abstract wrapped on two lines."
    assert [(s.heading, s.level) for s in p.sections] == [("Introduction", 1), ("Methods", 1), ("Data", 2)]
    assert p.sections[0].text == "We introduce things that wrap lines."


def test_sentence_starting_with_a_number_is_not_a_heading():
    p = read_text(b"Title\n\n12 patients were excluded because of missing data and prior surgery.\n", "t.txt")
    assert p.sections[0].heading == ""


def test_cp1252_text_is_decoded():
    assert "Straße" in read_text(b"T\n\nDie Stra\xdfe ist lang genug.\n", "t.txt").text


def test_empty_and_binary_text_are_clear_errors():
    with pytest.raises(PaperError, match="empty.txt: empty text file"):
        read_text(b"  \n\n", "empty.txt")
    with pytest.raises(PaperError, match="blob.md: binary data"):
        read_markdown(b"\x00\x01\x02", "blob.md")


@pytest.mark.parametrize("hostile", [
    "[" * 200_000, "![" * 100_000, "*" * 200_000, "_" * 200_000, "[a](" * 50_000,
    "# a" + " " * 200_000 + "b", "# " + "#" * 200_000, "a\n" * 100_000,
])
def test_hostile_markdown_costs_linear_time(hostile):
    """200 KB of brackets once cost 94 s of CPU; a heading padded with spaces cost far more (cubic)."""
    from sciplan.papers import ArchiveLimits
    from sciplan.papers.bounded import run_bounded

    data = ("# Title\n\n" + hostile + "\n\n## Methods\n" + "We measured things. " * 20).encode()
    # A watchdog, not a timing assertion: linear code takes well under a second here.
    paper = run_bounded(lambda: read_markdown(data, "hostile.md"), "hostile.md", ArchiveLimits(max_seconds=60))
    assert paper.title == "Title" and any(s.heading == "Methods" for s in paper.sections)


def test_markup_stripping_still_works():
    body = "**bold** and __under__ with [a link](http://x) and ![img](y.png) end. " * 3
    paper = read_markdown(f"# T\n\n## M\n{body}".encode(), "m.md")
    text = paper.sections[0].text
    assert text.startswith("bold and under with a link and end.") and "**" not in text and "http" not in text
