"""Remote sources of papers: arXiv, PubMed Central open access, OpenReview (see `registry`).

Nothing here touches the network at import; a real `httpx.Client` is made on first use
unless one is injected (tests inject one built on `httpx.MockTransport`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from pydantic import Field

from sciplan.config import Strict
from sciplan.papers.archive import ArchiveLimits
from sciplan.papers.filters import PaperFilter
from sciplan.papers.sources.arxiv import ArxivConfig, ArxivQuery, ArxivSource
from sciplan.papers.sources.base import Candidate, SourceContext, SourceSpec
from sciplan.papers.sources.http import Fetcher, HttpConfig, Pacer, make_client
from sciplan.papers.sources.openreview import OpenReviewConfig, OpenReviewQuery, OpenReviewSource
from sciplan.papers.sources.pmc import PmcConfig, PmcQuery, PmcSource
from sciplan.papers.sources.query import QUERY_SYNTAX, Query, is_query, parse_query
from sciplan.papers.sources.registry import SOURCES, spec_for_query

__all__ = [
    "SourcesConfig", "Sources", "Candidate", "Query", "parse_query", "is_query", "QUERY_SYNTAX",
    "ArxivConfig", "ArxivQuery", "ArxivSource", "PmcConfig", "PmcQuery", "PmcSource",
    "OpenReviewConfig", "OpenReviewQuery", "OpenReviewSource", "HttpConfig", "Pacer", "Fetcher", "SOURCES", "SourceSpec",
]


class SourcesConfig(Strict):
    """Settings of all remote sources: the shared HTTP client, then one field per registered source."""

    http: HttpConfig = Field(default_factory=HttpConfig)
    arxiv: ArxivConfig = Field(default_factory=ArxivConfig)
    pmc: PmcConfig = Field(default_factory=PmcConfig)
    openreview: OpenReviewConfig = Field(default_factory=OpenReviewConfig)


class Sources:
    """The sources of one run, sharing one HTTP client; each has its own pacer."""

    def __init__(
        self,
        config: SourcesConfig | None = None,
        filters: PaperFilter | None = None,
        limits: ArchiveLimits | None = None,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or SourcesConfig()
        self.filters = filters or PaperFilter()
        self.limits = limits or ArchiveLimits()
        self._client = client
        self._own_client = client is None
        self._clock, self._sleep = clock, sleep
        self._sources: dict[str, Any] = {}

    @property
    def client(self) -> httpx.Client:
        """The HTTP client, created on first use."""
        if self._client is None:
            self._client = make_client(self.config.http)
        return self._client

    def _fetcher(self, name: str, interval: float) -> Fetcher:
        return Fetcher(self.client, Pacer(interval, self._clock, self._sleep), name, self.config.http)

    def source(self, name: str) -> Any:
        """The registered source `name`, built on first use with its own pacer."""
        if name not in self._sources:
            spec = next(s for s in SOURCES if s.name == name)
            config = getattr(self.config, name)
            ctx = SourceContext(self.filters, self.limits, self.config.http.contact)
            self._sources[name] = spec.make(self._fetcher(name, config.interval_s), config, ctx)
        return self._sources[name]

    def candidates(self, query: Query) -> Iterator[Candidate]:
        """The candidates a query lists, from the source whose query it is."""
        return self.source(spec_for_query(query).name).candidates(query)

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
