"""PubMed Central source against recorded OA-service, E-utilities and OAI-PMH responses."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest

from sciplan.jsonl import read_records
from sciplan.papers import PmcSource, ingest
from sciplan.papers.sources.http import Fetcher, Pacer
from sciplan.records import Paper

OAI_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2025-10-01T13:00:00Z</responseDate><request verb=\"GetRecord\">x</request><GetRecord><record>"
    "<header><identifier>oai:pubmedcentral.nih.gov:{uid}</identifier></header><metadata>{article}</metadata>"
    "</record></GetRecord></OAI-PMH>"
)


@pytest.fixture
def pmc_route(fixture_bytes, respond, pmc_files):
    # PMC3460867's full text is the real PLOS ONE article from the corpus, in the OAI-PMH envelope.
    plos = pmc_files["plos"].read_text(encoding="utf-8")
    plos_article = re.sub(r"^<!DOCTYPE[^>]*>\s*", "", plos)

    def route(request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.path.endswith("/oa.fcgi"):
            return respond(fixture_bytes(f"pmc_oa_{url.params['id']}.xml"))
        if url.path.endswith("/esearch.fcgi"):
            return respond(fixture_bytes("pmc_esearch.xml"))
        if url.path.endswith("/oai.cgi"):
            uid = url.params["identifier"].rsplit(":", 1)[-1]
            if uid == "9000001":
                return respond(fixture_bytes("pmc_oai_PMC9000001.xml"))
            if uid == "3460867":
                return respond(OAI_ENVELOPE.format(uid=uid, article=plos_article))
        return respond("unexpected", 500)

    return route


def test_pmcid_list_end_to_end(pmc_route, make_recorder, fake_clock, tmp_path):
    rec = make_recorder(pmc_route, fake_clock)
    out = tmp_path / "papers.jsonl"
    summary = ingest(["pmc:PMC3460867,PMC9000001,PMC9000002,PMC9000003"], out, client=rec.client(),
                     clock=fake_clock.clock, sleep=fake_clock.sleep)
    assert (summary.written, summary.filtered, summary.failed) == (2, 2, 0)
    reasons = " | ".join(summary.filtered_reasons)
    assert "pmc:PMC9000002: license CC-BY-NC-ND not in" in reasons
    assert "pmc:PMC9000003: not in the PMC open-access subset" in reasons

    papers = {p.id: p for p in read_records(out, Paper)}
    plos = papers["pmc:PMC3460867"]
    assert plos.title.startswith("MmPPOX Inhibits Mycobacterium tuberculosis")
    assert plos.date == date(2012, 9, 28) and plos.license == "CC-BY"
    assert plos.source_url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC3460867/"
    assert plos.meta["citation"] == "PLoS One. 2012 Sep 28; 7(9):e46493"
    trial = papers["pmc:PMC9000001"]
    assert trial.title.startswith("Early Mobilisation after Hip Fracture Surgery")
    assert trial.license == "CC-BY" and trial.domain == "medical" and trial.venue == "Journal of Clinical Medicine"

    # Full text is fetched only for the open, allowed articles.
    oai_ids = [r.url.params["identifier"] for r in rec.requests if r.url.path.endswith("/oai.cgi")]
    assert oai_ids == ["oai:pubmedcentral.nih.gov:3460867", "oai:pubmedcentral.nih.gov:9000001"]
    assert all(r.url.params["tool"] == "sciplan" for r in rec.requests if r.url.path.endswith("/oa.fcgi"))
    assert min(b - a for a, b in zip(rec.times, rec.times[1:], strict=False)) >= 3.0


def test_search_with_date_range(pmc_route, make_recorder, fake_clock, tmp_path):
    rec = make_recorder(pmc_route, fake_clock)
    summary = ingest(["pmc-query:lysis time?from=2023-04-01&to=2023-06-30&max=10"], tmp_path / "p.jsonl",
                     client=rec.client(), clock=fake_clock.clock, sleep=fake_clock.sleep)
    assert (summary.written, summary.filtered) == (1, 2)
    params = rec.requests[0].url.params
    assert params["db"] == "pmc" and params["term"] == "(lysis time) AND open access[filter]"
    assert (params["datetype"], params["mindate"], params["maxdate"]) == ("pdat", "2023/04/01", "2023/06/30")


def test_rerun_skips_before_any_request(pmc_route, make_recorder, fake_clock, tmp_path):
    out = tmp_path / "papers.jsonl"
    ingest(["pmc:PMC9000001"], out, client=make_recorder(pmc_route, fake_clock).client(),
           clock=fake_clock.clock, sleep=fake_clock.sleep)
    rec = make_recorder(pmc_route, fake_clock)
    summary = ingest(["pmc:PMC9000001"], out, client=rec.client(), clock=fake_clock.clock, sleep=fake_clock.sleep)
    assert summary.skipped == 1 and rec.requests == []


def test_retracted_article_is_filtered(fixture_bytes, respond, make_recorder, fake_clock):
    retracted = fixture_bytes("pmc_oa_PMC9000001.xml").replace(b'retracted="no"', b'retracted="yes"')
    rec = make_recorder(lambda r: respond(retracted), fake_clock)
    source = PmcSource(Fetcher(rec.client(), Pacer(0, fake_clock.clock, fake_clock.sleep), "pmc"))
    from sciplan.papers import Filtered

    with pytest.raises(Filtered, match="pmc:PMC9000001: retracted"):
        source.fetch("PMC9000001")
