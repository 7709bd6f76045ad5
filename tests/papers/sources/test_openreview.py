"""OpenReview source against a recorded API v2 notes page; PDFs built from real articles."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from helpers.samples import paper_pdf
from sciplan.jsonl import read_records
from sciplan.papers import IngestConfig, ingest
from sciplan.papers.sources.openreview import decision_of
from sciplan.records import Paper

VENUE = "NeurIPS.cc/2024/Conference"


@pytest.fixture
def openreview_route(fixture_bytes, respond, real_papers):
    notes = json.loads(fixture_bytes("openreview_notes_neurips2024.json"))
    pdf = paper_pdf(real_papers["bmc"])

    def route(request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.path == "/notes":
            assert url.params["content.venueid"] == VENUE
            offset, limit = int(url.params["offset"]), int(url.params["limit"])
            page = {"notes": notes["notes"][offset : offset + limit], "count": notes["count"]}
            return respond(json.dumps(page), content_type="application/json")
        if url.path == "/pdf":
            return respond(pdf, content_type="application/pdf")
        return respond("unexpected", 500)

    return route


def test_venue_end_to_end(openreview_route, make_recorder, fake_clock, real_papers, tmp_path):
    rec = make_recorder(openreview_route, fake_clock)
    out = tmp_path / "papers.jsonl"
    config = IngestConfig(sources={"openreview": {"page_size": 2}})
    summary = ingest([f"openreview:{VENUE}"], out, config=config, client=rec.client(), clock=fake_clock.clock,
                     sleep=fake_clock.sleep)
    assert (summary.written, summary.filtered, summary.failed) == (2, 1, 0)
    assert "openreview:Qr5St6Uv7W: license CC-BY-NC-ND-4.0 not in" in summary.filtered_reasons[0]

    papers = {p.id: p for p in read_records(out, Paper)}
    oral = papers["openreview:aB3dE5fG7h"]
    assert oral.title == "Scaling Rubric Rewards for Research Planning"
    assert oral.decision == "oral" and oral.venue == "NeurIPS 2024 oral"
    assert (oral.domain, oral.license, oral.date) == ("ml", "CC-BY-4.0", date(2024, 9, 25))
    assert oral.authors == ["Ada Lovelace", "Alan Turing"]
    assert oral.source_url == "https://openreview.net/forum?id=aB3dE5fG7h"
    assert oral.meta["tldr"].startswith("Rubrics extracted from papers")
    # The body text is the PDF's.
    assert [s.heading for s in oral.sections] == [s.heading for s in real_papers["bmc"].sections]
    assert papers["openreview:Zy9Xw8Vu7T"].decision == "spotlight"

    pdf_ids = [r.url.params["id"] for r in rec.requests if r.url.path == "/pdf"]
    assert pdf_ids == ["aB3dE5fG7h", "Zy9Xw8Vu7T"]  # no PDF download for the filtered poster
    offsets = [r.url.params["offset"] for r in rec.requests if r.url.path == "/notes"]
    assert offsets == ["0", "2"]
    assert min(b - a for a, b in zip(rec.times, rec.times[1:], strict=False)) >= 1.0


def test_decision_filter_and_unknown_license(openreview_route, make_recorder, fake_clock, tmp_path):
    rec = make_recorder(openreview_route, fake_clock)
    config = IngestConfig(filters={"allow_unknown_license": True, "licenses": ["CC-BY", "CC-BY-NC-ND"]})
    summary = ingest([f"openreview:{VENUE}?decision=poster"], tmp_path / "p.jsonl", config=config,
                     client=rec.client(), clock=fake_clock.clock, sleep=fake_clock.sleep)
    assert summary.written == 1
    assert read_records(tmp_path / "p.jsonl", Paper)[0].decision == "poster"


def test_decision_of():
    assert decision_of("ICLR 2025 Oral") == "oral"
    assert decision_of("NeurIPS 2023 spotlight") == "spotlight"
    assert decision_of("ICLR 2025 Poster") == "poster"
    assert decision_of("NeurIPS 2024") == "accept"
