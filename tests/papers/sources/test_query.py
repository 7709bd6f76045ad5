"""The query syntax of `sciplan ingest`."""

from __future__ import annotations

from datetime import date

import pytest

from sciplan.papers import ArxivQuery, OpenReviewQuery, PaperError, PmcQuery, is_query, parse_query


def test_arxiv_queries():
    q = parse_query("arxiv:cs.LG,stat.ML?from=2025-08-01&to=2025-09-30&max=50")
    assert q == ArxivQuery(categories=["cs.LG", "stat.ML"], from_date=date(2025, 8, 1), to_date=date(2025, 9, 30),
                           max_results=50)
    assert parse_query("arxiv:2401.01234,hep-th/9901001").ids == ["2401.01234", "hep-th/9901001"]


def test_pmc_and_openreview_queries():
    assert parse_query("pmc:PMC3460867, 3166277") == PmcQuery(ids=["PMC3460867", "PMC3166277"])
    q = parse_query("pmc-query:lysis time?from=2023-04-01&max=5")
    assert q.term == "lysis time" and q.from_date == date(2023, 4, 1) and q.max_results == 5
    assert parse_query("pmc-query:?to=2023-05-01").term is None
    q = parse_query("openreview:NeurIPS.cc/2024/Conference?decision=Oral,spotlight&max=10")
    assert q == OpenReviewQuery(venue="NeurIPS.cc/2024/Conference", decisions=["oral", "spotlight"], max_results=10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("arxiv:cs.LG?from=2025-13-01", "'2025-13-01' is not a date"),
        ("arxiv:cs.LG?colour=red", "unknown parameter"),
        ("arxiv:", "name arXiv categories"),
        ("pmc:", "at least one PMCID"),
        ("pmc:abc", "invalid query"),
        ("openreview:?decision=oral", "name a venue id"),
        ("openreview:ICLR.cc/2025/Conference?decision=maybe", "unknown decision"),
        ("arxiv:cs.LG?max=lots", "invalid query"),
        ("zenodo:123", "unknown source"),
    ],
)
def test_malformed_queries_name_the_query(text, message):
    with pytest.raises(PaperError, match=message) as err:
        parse_query(text)
    assert str(err.value).startswith(text)


def test_is_query():
    assert is_query("arxiv:cs.LG") and is_query("PMC:PMC1") and not is_query("/data/paper.pdf")
