"""The query strings of `sciplan ingest`, parsed into each source's typed query.

A query is `prefix:body?params`; the registry says which source answers a prefix and which
parameters it takes. `from=` / `to=` (YYYY-MM-DD) and `max=` are typed here for every source.
"""

from __future__ import annotations

from datetime import date as Date
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ValidationError

from sciplan.papers.errors import PaperError
from sciplan.papers.sources.base import QueryText
from sciplan.papers.sources.registry import SOURCES, prefixes, spec_for_prefix

__all__ = ["Query", "parse_query", "is_query", "QUERY_PREFIXES", "QUERY_SYNTAX"]

# Each source's query model (ArxivQuery, PmcQuery, OpenReviewQuery, ...).
Query = BaseModel
QUERY_PREFIXES = prefixes()
QUERY_SYNTAX = "\n".join(f"    {line}" for s in SOURCES for line in s.syntax)


def is_query(text: str) -> bool:
    """True when `text` starts with a source prefix (arxiv:, pmc:, pmc-query:, openreview:, ...)."""
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
    spec = spec_for_prefix(prefix)
    if spec is None:
        raise PaperError(f"{text}: unknown source (use one of {', '.join(QUERY_PREFIXES)})")
    body, params = rest, {}
    if "?" in rest:
        head, _, qs = rest.rpartition("?")
        parsed = parse_qs(qs, keep_blank_values=True)
        if parsed:
            unknown = set(parsed) - spec.prefixes[prefix]
            if unknown:
                raise PaperError(f"{text}: unknown parameter(s) {', '.join(sorted(unknown))} for {prefix}:")
            body, params = head, {k: v[-1] for k, v in parsed.items()}
    try:
        common: dict[str, Any] = {}
        if "from" in params:
            common["from_date"] = _date(params["from"], text)
        if "to" in params:
            common["to_date"] = _date(params["to"], text)
        if "max" in params:
            common["max_results"] = int(params["max"])
        return spec.parse(QueryText(text, prefix, body, params, common))
    except (ValidationError, ValueError) as exc:
        raise PaperError(f"{text}: invalid query ({exc})") from None
