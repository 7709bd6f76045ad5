"""arXiv source against recorded Atom and OAI-PMH responses; e-prints and PDFs built from real articles."""

from __future__ import annotations

import io
import tarfile
from datetime import date

import httpx
import pytest

from helpers.samples import paper_eprint, paper_pdf
from sciplan.jsonl import read_jsonl, read_records
from sciplan.papers import ArxivConfig, ArxivQuery, IngestConfig, PaperError, PaperFilter, ingest
from sciplan.papers.sources.arxiv import parse_feed
from sciplan.records import Paper

WINDOW = "arxiv:cs.LG?from=2025-08-01&to=2025-09-30&max=10"


@pytest.fixture
def arxiv_route(real_papers, fixture_bytes, respond):
    eprint = paper_eprint(real_papers["bmc"])
    pdf = paper_pdf(real_papers["ehp"])

    def route(request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.host == "export.arxiv.org" and url.path == "/api/query":
            start = int(url.params.get("start", 0))
            return respond(fixture_bytes("arxiv_query_page1.xml" if start == 0 else "arxiv_query_page2.xml"),
                           content_type="application/atom+xml")
        if url.host == "oaipmh.arxiv.org":
            arxiv_id = url.params["identifier"].removeprefix("oai:arXiv.org:")
            return respond(fixture_bytes(f"arxiv_oai_{arxiv_id}.xml"))
        if url.path == "/e-print/2508.01234":
            return respond(eprint, content_type="application/x-eprint-tar")
        if url.path == "/e-print/2508.05678":  # no source on arXiv: the PDF is the fallback
            return respond("not found", 404, "text/plain")
        if url.path == "/pdf/2508.05678":
            return respond(pdf, content_type="application/pdf")
        return respond("unexpected request", 500, "text/plain")

    return route


def _config() -> IngestConfig:
    return IngestConfig(sources={"arxiv": ArxivConfig(page_size=2), "http": {"contact": "lab@example.org"}})


def test_category_window_query_end_to_end(arxiv_route, make_recorder, fake_clock, real_papers, tmp_path):
    rec = make_recorder(arxiv_route, fake_clock)
    out = tmp_path / "papers.jsonl"
    summary = ingest([WINDOW], out, config=_config(), client=rec.client(), clock=fake_clock.clock,
                     sleep=fake_clock.sleep)
    assert (summary.written, summary.filtered, summary.failed) == (2, 1, 0)
    assert "arxiv:2509.00042: license arxiv-nonexclusive not in" in summary.filtered_reasons[0]

    papers = {p.id: p for p in read_records(out, Paper)}
    a, b = papers["arxiv:2508.01234"], papers["arxiv:2508.05678"]
    # Metadata from the API, license from OAI-PMH, text from the e-print's LaTeX.
    assert a.title == "Rubric Rewards for Research Plan Generation"
    assert a.abstract.startswith("We train language models to write research plans")
    assert a.authors == ["Ada Lovelace", "Alan Turing"]
    assert (a.date, a.domain, a.license, a.venue) == (date(2025, 8, 4), "cs", "CC-BY-4.0", "arXiv")
    assert a.source_format == "latex" and a.meta["fetched"] == "eprint"
    assert [s.heading for s in a.sections] == [s.heading for s in real_papers["bmc"].sections]
    assert a.ids["arxiv"] == "2508.01234" and a.ids["doi"] == "10.48550/arXiv.2508.01234"
    assert a.source_url == "https://arxiv.org/abs/2508.01234"
    # The second paper had no e-print: its PDF was read instead.
    assert b.source_format == "pdf" and b.meta["fetched"] == "pdf"
    assert (b.domain, b.license) == ("statistics", "CC-BY-SA-4.0")
    assert [s.heading for s in b.sections] == [s.heading for s in real_papers["ehp"].sections]

    # The query went out as arXiv expects it, page by page.
    first = rec.requests[0].url.params
    assert first["search_query"] == "(cat:cs.LG) AND submittedDate:[202508010000 TO 202509302359]"
    assert first["sortBy"] == "submittedDate" and first["max_results"] == "2"
    # No e-print was downloaded for the paper whose license is not allowed.
    assert not any("2509.00042" in p for p in rec.paths() if "e-print" in p or "/pdf/" in p)
    # One request per 3 s, measured on the fake clock; a descriptive User-Agent on each.
    gaps = [b - a for a, b in zip(rec.times, rec.times[1:], strict=False)]
    # API page, (OAI, e-print) x2, PDF fallback, API page, OAI: eight requests, 3 s apart.
    assert len(rec.requests) == 8 and min(gaps) >= 3.0
    assert all("sciplan/" in r.headers["User-Agent"] and "mailto:lab@example.org" in r.headers["User-Agent"]
               for r in rec.requests)


def test_rerun_lists_again_but_fetches_nothing(arxiv_route, make_recorder, fake_clock, tmp_path):
    out = tmp_path / "papers.jsonl"
    rec = make_recorder(arxiv_route, fake_clock)
    ingest([WINDOW], out, config=_config(), client=rec.client(), clock=fake_clock.clock, sleep=fake_clock.sleep)
    rec2 = make_recorder(arxiv_route, fake_clock)
    summary = ingest([WINDOW], out, config=_config(), client=rec2.client(), clock=fake_clock.clock,
                     sleep=fake_clock.sleep)
    assert (summary.written, summary.skipped) == (0, 2)
    assert all(p == "export.arxiv.org/api/query" or "oaipmh" in p for p in rec2.paths())
    assert sum("e-print" in p or "/pdf/" in p for p in rec2.paths()) == 0


def test_date_and_domain_filters_apply_before_download(arxiv_route, make_recorder, fake_clock, tmp_path):
    rec = make_recorder(arxiv_route, fake_clock)
    config = _config()
    config.filters = PaperFilter(domains=["statistics"])
    summary = ingest([WINDOW], tmp_path / "p.jsonl", config=config, client=rec.client(), clock=fake_clock.clock,
                     sleep=fake_clock.sleep)
    assert (summary.written, summary.filtered) == (1, 2)
    assert not any("2508.01234" in p for p in rec.paths())


def test_hostile_eprint_falls_back_then_fails_with_both_reasons(make_recorder, fake_clock, fixture_bytes, respond,
                                                                tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("../../evil.tex")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))

    def route(request):
        if request.url.path == "/api/query":
            return respond(fixture_bytes("arxiv_query_page1.xml"))
        if request.url.host == "oaipmh.arxiv.org":
            return respond(fixture_bytes("arxiv_oai_2508.01234.xml"))
        if request.url.path.startswith("/e-print/"):
            return respond(buf.getvalue())
        return respond("gone", 404)

    rec = make_recorder(route, fake_clock)
    out = tmp_path / "papers.jsonl"
    summary = ingest(["arxiv:2508.01234"], out, client=rec.client(), clock=fake_clock.clock, sleep=fake_clock.sleep)
    assert summary.failed == 2 and summary.written == 0  # both feed entries: 01234 (hostile) and 05678
    failure = next(read_jsonl(out.with_name("failures.jsonl")))
    assert failure["input"] == "arxiv:2508.01234" and failure["stage"] == "ingest"
    assert "climbs out with '..'" in failure["error"] and "HTTP 404" in failure["error"]


def test_api_error_feed_is_a_failure_of_the_query(make_recorder, fake_clock, fixture_bytes, respond, tmp_path):
    rec = make_recorder(lambda r: respond(fixture_bytes("arxiv_error.xml")), fake_clock)
    out = tmp_path / "papers.jsonl"
    summary = ingest(["arxiv:1234.12345", "arxiv:cs.LG?max=1"], out, client=rec.client(),
                     clock=fake_clock.clock, sleep=fake_clock.sleep)
    assert summary.failed == 2
    errors = [f["error"] for f in read_jsonl(out.with_name("failures.jsonl"))]
    assert all("arXiv API error: incorrect id format for 1234.12345" in e for e in errors)


def test_parse_feed_reads_the_recorded_page(fixture_bytes):
    total, entries = parse_feed(fixture_bytes("arxiv_query_page1.xml"), "page1")
    assert total == 3 and [e.id for e in entries] == ["2508.01234", "2508.05678"]
    assert entries[0].version == "v2" and entries[0].categories == ["cs.LG", "cs.AI"]
    assert entries[1].primary_category == "stat.ML" and entries[1].published == date(2025, 8, 9)


def test_query_without_window_or_categories_is_refused():
    from sciplan.papers.sources.arxiv import ArxivSource

    with pytest.raises(PaperError, match="needs categories, ids or a date window"):
        ArxivSource(fetcher=None)._search_query(ArxivQuery())  # type: ignore[arg-type]


def test_garbage_answer_is_a_clear_failure(make_recorder, fake_clock, respond, tmp_path):
    rec = make_recorder(lambda r: respond("<feed", 200), fake_clock)
    out = tmp_path / "p.jsonl"
    summary = ingest(["arxiv:cs.LG?max=1"], out, client=rec.client(), clock=fake_clock.clock, sleep=fake_clock.sleep)
    assert summary.failed == 1
    failure = next(read_jsonl(out.with_name("failures.jsonl")))
    assert failure["input"] == "arxiv:cs.LG?max=1" and "not well-formed XML" in failure["error"]
