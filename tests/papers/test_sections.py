"""Shared section helpers."""

from __future__ import annotations

from sciplan.papers.sections import clean_text, is_back_matter, numbered_heading, tidy_sections, unwrap
from sciplan.records import Section


def test_numbered_heading():
    assert numbered_heading("3.2 Results") == (2, "Results")
    assert numbered_heading("2.1. Trial Design") == (2, "Trial Design")
    assert numbered_heading("IV. EXPERIMENTS") == (1, "EXPERIMENTS")
    assert numbered_heading("A.1 Proofs") == (2, "Proofs")
    assert numbered_heading("A Study of Things") is None
    assert numbered_heading("3 We found that the effect was large.") is None
    assert numbered_heading("Introduction") is None


def test_tidy_sections_drops_back_matter_and_empty_and_renumbers():
    sections = [
        Section(heading="2. Methods", text="", level=2),
        Section(heading="2.1 Data", text="Rows  and\n\n\n columns.", level=3),
        Section(heading="Empty", text="  ", level=2),
        Section(heading="References", text="[1] A. B.", level=2),
        Section(heading="Cited work", text="sub of references", level=3),
        Section(heading="Acknowledgements", text="Thanks.", level=2),
        Section(heading="Appendix A", text="Proofs.", level=2),
    ]
    assert [(s.heading, s.text, s.level) for s in tidy_sections(sections)] == [
        ("Methods", "", 1), ("Data", "Rows and\n\ncolumns.", 2), ("Appendix A", "Proofs.", 1)]
    assert is_back_matter("5. Acknowledgments") and not is_back_matter("Referencing models")


def test_clean_and_unwrap():
    assert clean_text("a\u00a0 b\r\n\n\n\nc ") == "a b\n\nc"
    assert unwrap("one\ntwo\n\n- a\n- b") == "one two\n\n- a\n- b"
