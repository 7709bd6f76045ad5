"""JATS reader on the three real PMC articles, a namespaced OAI-PMH record, and hostile XML."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest

from sciplan.papers import PaperError, read_jats
from sciplan.papers.jats import parse_xml


def _titles_in(xml: bytes) -> list[str]:
    """Every <title> text of the file's <body>, straight from the XML (the ground truth)."""
    body = xml.split(b"<body>", 1)[1].split(b"</body>", 1)[0].decode()
    return [re.sub(r"<[^>]+>", "", t).strip() for t in re.findall(r"<title>(.*?)</title>", body)]


def test_plos_article_against_the_file(real_papers, corpus):
    p = real_papers["plos"]
    assert p.id == "pmc:PMC3460867"
    assert p.title.startswith("MmPPOX Inhibits Mycobacterium tuberculosis Lipolytic Enzymes")
    assert p.title.endswith("and Alters Mycobacterial Growth")
    assert p.abstract.startswith("Lipid metabolism plays an important role during the lifetime of Mycobacterium")
    assert p.date == date(2012, 9, 28)  # <pub-date pub-type="epub"><day>28</day><month>9</month><year>2012>
    assert p.venue == "PLoS ONE"
    # <license> has no URL here; its text names the Creative Commons Attribution License.
    assert p.license == "CC-BY"
    assert p.ids["pmid"] == "23029536" and p.ids["doi"] == "10.1371/journal.pone.0046493"
    assert p.authors[:2] == ["Vincent Delorme", "Sadia V. Diomandé"]
    headings = [(s.heading, s.level) for s in p.sections]
    assert headings[:4] == [("Introduction", 1), ("Materials and Methods", 1), ("Chemicals", 2),
                            ("Bacterial strains and growth conditions", 2)]
    assert ("Results", 1) in headings and headings[-1] == ("Discussion", 1)
    # References, figure and table captions and "Supporting Information" are not sections.
    assert not {"References", "Supporting Information", "Chemical structure of inhibitors."} & {h for h, _ in headings}
    assert p.source_format == "jats" and p.domain == "medical"


def test_bmc_article_structured_abstract_and_nesting(real_papers):
    p = real_papers["bmc"]
    assert p.id == "pmc:PMC3166277"
    assert p.title == "Factors influencing lysis time stochasticity in bacteriophage λ"
    assert p.abstract.startswith("Background: Despite identical genotypes")
    assert "\n\nResults: " in p.abstract and "\n\nConclusions: " in p.abstract
    assert p.date == date(2011, 8, 2)
    assert p.venue == "BMC Microbiology"
    assert p.license == "CC-BY-2.0"  # xlink:href="http://creativecommons.org/licenses/by/2.0"
    levels = {s.heading: s.level for s in p.sections}
    assert levels["Results"] == 1 and levels["Effect of Host Growth Rates"] == 2
    assert levels["Methods"] == 1 and levels["Statistical analysis"] == 2
    # Back matter in <body> (competing interests, contributions) is dropped.
    assert "Competing interests" not in levels and "Authors' contributions" not in levels


def test_ehp_article_public_domain_and_lead_text(real_papers):
    p = real_papers["ehp"]
    assert p.id == "pmc:PMC2599765"
    assert p.title.startswith("Dietary Exposure to 2,2′,4,4′-Tetrabromodiphenyl Ether (PBDE-47)")
    assert p.license == "public-domain"
    assert p.date == date(2008, 8, 1)  # epub preferred over the December print issue
    assert p.venue == "Environmental Health Perspectives"
    # The introduction has no heading in the file: it is kept as an untitled first section.
    assert p.sections[0].heading == "" and p.sections[0].text.startswith("Polybrominated diphenyl ethers")
    assert [s.heading for s in p.sections if s.level == 1][1:] == ["Materials and Methods", "Results", "Discussion"]


@pytest.mark.parametrize("key", ["plos", "bmc", "ehp"])
def test_section_headings_come_from_the_file_in_order(real_papers, pmc_files, key):
    truth = _titles_in(pmc_files[key].read_bytes())
    headings = [s.heading for s in real_papers[key].sections if s.heading]
    positions = [truth.index(h) for h in headings]  # ValueError if a heading is not in the file
    assert positions == sorted(positions)
    assert len(headings) >= 8


@pytest.mark.parametrize("key", ["plos", "bmc", "ehp"])
def test_references_and_tables_are_dropped(real_papers, pmc_files, key):
    xml = pmc_files[key].read_text(encoding="utf-8")
    text = real_papers[key].text
    first_ref = re.search(r"<ref-list>.*?<article-title>(.*?)</article-title>", xml, re.S)
    assert first_ref and re.sub(r"<[^>]+>", "", first_ref.group(1))[:60] not in text
    cell = re.search(r"<td[^>]*>([A-Za-z][^<]{12,})</td>", xml)
    if cell:
        assert cell.group(1) not in text
    assert len(text) > 10_000


def test_namespaced_oai_record_and_inline_math(fixture_bytes):
    p = read_jats(fixture_bytes("pmc_oai_PMC9000001.xml"), "pmc:PMC9000001")
    assert p.id == "pmc:PMC9000001"
    assert p.license == "CC-BY-4.0"  # from <ali:license_ref>
    assert [s.heading for s in p.sections] == ["Introduction", "Methods", "Trial Design", "Outcomes", "Results",
                                               "Discussion"]
    assert "RR" in p.sections[3].text
    assert "SECRET-TABLE-CELL" not in p.text and "SECRET-REFERENCE-TITLE" not in p.text
    assert "Flow of participants" not in p.text
    assert "We thank the ward staff" not in p.text


def test_figure_captions_on_request(fixture_bytes):
    p = read_jats(fixture_bytes("pmc_oai_PMC9000001.xml"), "x.xml", captions=True)
    assert "[Figure 1: Flow of participants.]" in p.text


def test_billion_laughs_is_refused_quickly(tmp_path):
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE article [<!ENTITY l0 "ha">{levels}]><article>&l9;</article>'
    started = time.monotonic()
    with pytest.raises(PaperError, match="bomb.xml: the XML declares entities"):
        read_jats(bomb.encode(), "bomb.xml")
    assert time.monotonic() - started < 1.0


def test_external_entity_is_refused():
    xxe = b'<?xml version="1.0"?><!DOCTYPE article [<!ENTITY x SYSTEM "file:///etc/passwd">]><article>&x;</article>'
    with pytest.raises(PaperError, match="xxe.xml"):
        read_jats(xxe, "xxe.xml")


def test_malformed_and_foreign_xml_name_the_file():
    with pytest.raises(PaperError, match="broken.xml: not well-formed XML"):
        read_jats(b"<article><front>", "broken.xml")
    with pytest.raises(PaperError, match="feed.xml: no <article> element"):
        read_jats(b"<feed><entry/></feed>", "feed.xml")
    with pytest.raises(PaperError, match="untitled.xml: JATS article without a title"):
        read_jats(b"<article><front><article-meta/></front></article>", "untitled.xml")


def test_parse_xml_drops_namespaces():
    root = parse_xml(b'<a xmlns="urn:x" xmlns:l="urn:l"><b l:href="u">t</b></a>', "n.xml")
    assert root.tag == "a" and root.find("b").get("href") == "u"
