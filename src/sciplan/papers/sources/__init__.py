"""Remote sources of papers: arXiv, PubMed Central open access, OpenReview.

Nothing here touches the network at import; a real `httpx.Client` is made on first use
unless one is injected (tests inject one built on `httpx.MockTransport`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
from pydantic import BaseModel, ConfigDict, Field

from sciplan.papers.archive import ArchiveLimits
from sciplan.papers.filters import PaperFilter
from sciplan.papers.sources.arxiv import ArxivConfig, ArxivQuery, ArxivSource
from sciplan.papers.sources.base import Candidate
from sciplan.papers.sources.http import Fetcher, HttpConfig, Pacer, make_client
from sciplan.papers.sources.openreview import OpenReviewConfig, OpenReviewQuery, OpenReviewSource
from sciplan.papers.sources.pmc import PmcConfig, PmcQuery, PmcSource
from sciplan.papers.sources.query import QUERY_SYNTAX, Query, is_query, parse_query

__all__ = [
    "SourcesConfig", "Sources", "Candidate", "Query", "parse_query", "is_query", "QUERY_SYNTAX",
    "ArxivConfig", "ArxivQuery", "ArxivSource", "PmcConfig", "PmcQuery", "PmcSource",
    "OpenReviewConfig", "OpenReviewQuery", "OpenReviewSource", "HttpConfig", "Pacer", "Fetcher",
]


class SourcesConfig(BaseModel):
    """Settings of all remote sources."""

    model_config = ConfigDict(extra="forbid")

    http: HttpConfig = Field(default_factory=HttpConfig)
    arxiv: ArxivConfig = Field(default_factory=ArxivConfig)
    pmc: PmcConfig = Field(default_factory=PmcConfig)
    openreview: OpenReviewConfig = Field(default_factory=OpenReviewConfig)


class Sources:
    """The three sources of one run, sharing one HTTP client; each has its own pacer."""

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
        self._sources: dict[str, object] = {}

    @property
    def client(self) -> httpx.Client:
        """The HTTP client, created on first use."""
        if self._client is None:
            self._client = make_client(self.config.http)
        return self._client

    def _fetcher(self, name: str, interval: float) -> Fetcher:
        return Fetcher(self.client, Pacer(interval, self._clock, self._sleep), name, self.config.http)

    def arxiv(self) -> ArxivSource:
        """The arXiv source (one pacer for the API, OAI-PMH and downloads)."""
        if "arxiv" not in self._sources:
            fetcher = self._fetcher("arxiv", self.config.arxiv.interval_s)
            self._sources["arxiv"] = ArxivSource(fetcher, self.config.arxiv, self.filters, self.limits)
        return self._sources["arxiv"]  # type: ignore[return-value]

    def pmc(self) -> PmcSource:
        """The PubMed Central source."""
        if "pmc" not in self._sources:
            fetcher = self._fetcher("pmc", self.config.pmc.interval_s)
            self._sources["pmc"] = PmcSource(fetcher, self.config.pmc, self.filters, self.config.http.contact)
        return self._sources["pmc"]  # type: ignore[return-value]

    def openreview(self) -> OpenReviewSource:
        """The OpenReview source."""
        if "openreview" not in self._sources:
            fetcher = self._fetcher("openreview", self.config.openreview.interval_s)
            self._sources["openreview"] = OpenReviewSource(fetcher, self.config.openreview, self.filters)
        return self._sources["openreview"]  # type: ignore[return-value]

    def candidates(self, query: Query) -> Iterator[Candidate]:
        """The candidates a query lists."""
        if isinstance(query, ArxivQuery):
            return self.arxiv().candidates(query)
        if isinstance(query, PmcQuery):
            return self.pmc().candidates(query)
        return self.openreview().candidates(query)

    def close(self) -> None:
        """Close the HTTP client if this object made it."""
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None
