"""PDF reader on PDFs written by PyMuPDF: two columns, headings, abstract; broken and hostile PDFs."""

from __future__ import annotations

import difflib

import pymupdf
import pytest

from helpers.samples import encrypted_pdf, image_only_pdf, paper_pdf
from sciplan.papers import PaperError, read_path, read_pdf


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def test_two_column_pdf_of_a_real_article(real_papers, two_column_pdf):
    jats = real_papers["plos"]
    doc = pymupdf.open(stream=two_column_pdf, filetype="pdf")
    assert doc.page_count >= 5
    # The layout really is two columns: body blocks sit left or right of the middle.
    blocks = doc[1].get_text("blocks")
    mid = doc[1].rect.width / 2
    assert any(b[2] < mid for b in blocks) and any(b[0] > mid for b in blocks)

    p = read_pdf(two_column_pdf, "plos.pdf")
    assert p.title == jats.title
    assert p.abstract == jats.abstract
    assert [(s.heading, s.level) for s in p.sections] == [(s.heading, s.level) for s in jats.sections]
    # Reading order: each section's text matches the article's, column after column.
    for ours, truth in zip(p.sections, jats.sections, strict=False):
        assert _similar(ours.text[:1500], truth.text[:1500]) > 0.97, ours.heading
    assert p.source_format == "pdf" and p.meta["pages"] == doc.page_count


@pytest.mark.parametrize("key", ["bmc", "ehp"])
def test_other_articles_round_trip(real_papers, key):
    jats = real_papers[key]
    p = read_pdf(paper_pdf(jats), f"{key}.pdf")
    assert p.title == jats.title
    assert [s.heading for s in p.sections] == [s.heading for s in jats.sections]
    assert _similar(p.abstract, jats.abstract) > 0.97


def test_single_column_pdf_with_numbered_headings_running_heads_and_page_numbers():
    doc = pymupdf.open()
    body = ("Planning experiments carefully is the topic of this paragraph and it goes on. " * 6).strip()
    for n in range(3):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 40), "Journal of Examples, Vol. 1", fontsize=8)
        page.insert_text((300, 770), str(n + 1), fontsize=8)
        y = 72
        if n == 0:
            page.insert_text((72, y), "An Example Paper Title", fontsize=20, fontname="hebo")
            y += 40
            page.insert_textbox(pymupdf.Rect(72, y, 540, y + 80), "Abstract. " + body, fontsize=10)
            y += 100
        page.insert_text((72, y), f"{n + 1} Section Number {n + 1}", fontsize=10, fontname="hebo")
        page.insert_textbox(pymupdf.Rect(72, y + 10, 540, y + 200), body, fontsize=10)
        if n == 1:
            page.insert_text((72, y + 220), f"{n + 1}.1 A Subsection", fontsize=10, fontname="hebo")
            page.insert_textbox(pymupdf.Rect(72, y + 230, 540, y + 420), body, fontsize=10)
    p = read_pdf(doc.tobytes(), "one.pdf")
    assert p.title == "An Example Paper Title"
    assert p.abstract.startswith("Planning experiments carefully")
    assert [(s.heading, s.level) for s in p.sections] == [
        ("Section Number 1", 1), ("Section Number 2", 1), ("A Subsection", 2), ("Section Number 3", 1)]
    assert "Journal of Examples" not in p.text
    assert all(not line.strip().isdigit() for s in p.sections for line in s.text.split("\n"))


def test_encrypted_pdf_is_a_clear_error(two_column_pdf, tmp_path):
    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypted_pdf(two_column_pdf))
    with pytest.raises(PaperError, match=r"locked\.pdf: encrypted PDF \(a password is needed\)"):
        read_path(path)


def test_scanned_pdf_without_text_layer_is_a_clear_error(two_column_pdf):
    scanned = image_only_pdf(two_column_pdf)
    assert pymupdf.open(stream=scanned, filetype="pdf")[0].get_images()
    with pytest.raises(PaperError, match=r"scan\.pdf: no text layer .* a scanned PDF"):
        read_pdf(scanned, "scan.pdf")


def test_truncated_pdf_is_a_clear_error(two_column_pdf):
    with pytest.raises(PaperError, match=r"cut\.pdf: truncated or damaged PDF"):
        read_pdf(two_column_pdf[: len(two_column_pdf) // 2], "cut.pdf")


def test_garbage_named_pdf_is_a_clear_error(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"this is not a pdf at all\n" * 20)
    with pytest.raises(PaperError, match=r"fake\.pdf: not a PDF"):
        read_path(path)
    with pytest.raises(PaperError, match=r"bad\.pdf: unreadable PDF"):
        read_pdf(b"%PDF-1.7\n" + b"\x00garbage" * 100 + b"\n%%EOF\n", "bad.pdf")


def test_owner_only_encryption_is_readable(two_column_pdf):
    import io

    doc = pymupdf.open(stream=two_column_pdf, filetype="pdf")
    buf = io.BytesIO()
    doc.save(buf, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", permissions=0)
    assert read_pdf(buf.getvalue(), "owner.pdf").title.startswith("MmPPOX")
