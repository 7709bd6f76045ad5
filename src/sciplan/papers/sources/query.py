"""The query strings of `sciplan ingest`, parsed into typed queries.

    arxiv:2401.01234,2402.00002                           explicit arXiv ids
    arxiv:cs.LG,stat.ML?from=2025-08-01&to=2025-09-30&max=50
                                                          categories (or archives: cs, math)
    pmc:PMC3460867,PMC3166277                             explicit PMCIDs
    pmc-query:TERM?from=2023-04-01&to=2023-12-31&max=100  PMC open-access search (TERM may be empty)
    openreview:NeurIPS.cc/2024/Conference?decision=oral,spotlight&max=100
"""

from __future__ import annotations

from datetime import date as Date
from urllib.parse import parse_qs

from pydantic import ValidationError

from sciplan.papers.errors import PaperError
from sciplan.papers.identity import ARXIV_ID, normalize_pmcid
from sciplan.papers.sources.arxiv import ArxivQuery
from sciplan.papers.sources.openreview import DECISIONS, OpenReviewQuery
from sciplan.papers.sources.pmc import PmcQuery

__all__ = ["Query", "parse_query", "is_query", "QUERY_PREFIXES", "QUERY_SYNTAX"]

Query = ArxivQuery | PmcQuery | OpenReviewQuery
QUERY_PREFIXES = ("arxiv:", "pmc:", "pmc-query:", "openreview:")
QUERY_SYNTAX = __doc__ or ""
_PARAMS = {"arxiv": {"from", "to", "max"}, "pmc": set(), "pmc-query": {"from", "to", "max"},
           "openreview": {"decision", "max"}}


def is_query(text: str) -> bool:
    """True when `text` starts with a source prefix (arxiv:, pmc:, pmc-query:, openreview:)."""
    return text.lower().startswith(QUERY_PREFIXES)


def _date(value: str, text: str) -> Date:
    try:
        return Date.fromisoformat(value)
    except ValueError:
        raise PaperError(f"{text}: {value!r} is not a date (use YYYY-MM-DD)") from None


def parse_query(text: str) -> Query:
    """The typed query for one query string; PaperError names the string when it is malformed."""
    prefix, _, rest = text.partition(":")
    prefix = prefix.lower()
    if prefix not in _PARAMS:
        raise PaperError(f"{text}: unknown source (use one of {', '.join(QUERY_PREFIXES)})")
    body, params = rest, {}
    if "?" in rest:
        head, _, qs = rest.rpartition("?")
        parsed = parse_qs(qs, keep_blank_values=True)
        if parsed:
            unknown = set(parsed) - _PARAMS[prefix]
            if unknown:
                raise PaperError(f"{text}: unknown parameter(s) {', '.join(sorted(unknown))} for {prefix}:")
            body, params = head, {k: v[-1] for k, v in parsed.items()}
    items = [i.strip() for i in body.split(",") if i.strip()]
    try:
        common: dict = {}
        if "from" in params:
            common["from_date"] = _date(params["from"], text)
        if "to" in params:
            common["to_date"] = _date(params["to"], text)
        if "max" in params:
            common["max_results"] = int(params["max"])
        if prefix == "arxiv":
            if items and all(ARXIV_ID.match(i) for i in items):
                return ArxivQuery(ids=items, **common)
            if not items:
                raise PaperError(f"{text}: name arXiv categories (cs.LG) or ids (2401.01234)")
            return ArxivQuery(categories=items, **common)
        if prefix == "pmc":
            if not items:
                raise PaperError(f"{text}: name at least one PMCID")
            return PmcQuery(ids=[normalize_pmcid(i) for i in items])
        if prefix == "pmc-query":
            return PmcQuery(term=body.strip() or None, **common)
        decisions = [d.strip().lower() for d in params.get("decision", "").split(",") if d.strip()]
        bad = [d for d in decisions if d not in DECISIONS]
        if bad:
            raise PaperError(f"{text}: unknown decision(s) {', '.join(bad)} (use {', '.join(DECISIONS)})")
        if not body.strip():
            raise PaperError(f"{text}: name a venue id, e.g. openreview:NeurIPS.cc/2024/Conference")
        return OpenReviewQuery(venue=body.strip(), decisions=decisions, **common)
    except (ValidationError, ValueError) as exc:
        raise PaperError(f"{text}: invalid query ({exc})") from None
