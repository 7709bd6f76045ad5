"""arXiv: category and date-window search (API), license (OAI-PMH), e-print with PDF fallback.

Every request to arXiv goes through one pacer: the API terms ask for one request
every 3 seconds and a descriptive User-Agent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sciplan.papers.archive import ArchiveLimits
from sciplan.papers.domains import arxiv_domain
from sciplan.papers.errors import Filtered, PaperError, SourceError
from sciplan.papers.filters import PaperFilter
from sciplan.papers.identity import normalize_arxiv_id
from sciplan.papers.jats import parse_xml
from sciplan.papers.licenses import normalize_license
from sciplan.papers.readers import read_bytes
from sciplan.papers.sources.base import Candidate
from sciplan.papers.sources.http import Fetcher
from sciplan.records import Paper

__all__ = ["ArxivConfig", "ArxivQuery", "ArxivEntry", "ArxivSource"]


class ArxivConfig(BaseModel):
    """Where arXiv lives and how politely to ask it."""

    model_config = ConfigDict(extra="forbid")

    api_url: str = "https://export.arxiv.org/api/query"
    oai_url: str = "https://oaipmh.arxiv.org/oai"
    eprint_url: str = "https://arxiv.org/e-print/{id}"
    pdf_url: str = "https://arxiv.org/pdf/{id}"
    abs_url: str = "https://arxiv.org/abs/{id}"
    interval_s: float = 3.0
    page_size: int = 100
    # The Atom API has no license; OAI-PMH has it, at one more request per paper.
    fetch_license: bool = True


class ArxivQuery(BaseModel):
    """Categories (e.g. cs.LG) within a submission-date window, or explicit ids."""

    model_config = ConfigDict(extra="forbid")

    categories: list[str] = Field(default_factory=list)
    ids: list[str] = Field(default_factory=list)
    from_date: Date | None = None
    to_date: Date | None = None
    max_results: int = 100


@dataclass
class ArxivEntry:
    """One paper's metadata from the arXiv API."""

    id: str
    title: str
    abstract: str
    published: Date | None
    primary_category: str | None
    categories: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    doi: str | None = None
    version: str | None = None
    comment: str | None = None
    journal_ref: str | None = None


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def _date(text: str | None) -> Date | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).date()
    except ValueError:
        return None


def parse_feed(data: bytes, source: str) -> tuple[int | None, list[ArxivEntry]]:
    """(totalResults, entries) of an arXiv API Atom feed."""
    root = parse_xml(data, source)
    total_el = root.find("totalResults")
    total = int(total_el.text) if total_el is not None and (total_el.text or "").strip().isdigit() else None
    entries = []
    for e in root.findall("entry"):
        raw_id = _words(e.findtext("id"))
        if "/api/errors" in raw_id:
            raise SourceError(f"{source}: arXiv API error: {_words(e.findtext('summary'))}")
        try:
            aid = normalize_arxiv_id(raw_id)
        except ValueError:
            continue
        version = raw_id.rsplit("v", 1)[-1] if raw_id.rsplit("v", 1)[-1].isdigit() else None
        primary = e.find("primary_category")
        entries.append(ArxivEntry(
            id=aid,
            title=_words(e.findtext("title")),
            abstract=_words(e.findtext("summary")),
            published=_date(e.findtext("published")),
            primary_category=primary.get("term") if primary is not None else None,
            categories=[c.get("term", "") for c in e.findall("category") if c.get("term")],
            authors=[_words(a.findtext("name")) for a in e.findall("author")],
            doi=_words(e.findtext("doi")) or None,
            version=f"v{version}" if version else None,
            comment=_words(e.findtext("comment")) or None,
            journal_ref=_words(e.findtext("journal_ref")) or None,
        ))
    return total, entries


class ArxivSource:
    """Lists and fetches arXiv papers through one paced `Fetcher`."""

    def __init__(
        self,
        fetcher: Fetcher,
        config: ArxivConfig | None = None,
        filters: PaperFilter | None = None,
        limits: ArchiveLimits | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.config = config or ArxivConfig()
        self.filters = filters or PaperFilter()
        self.limits = limits or ArchiveLimits()

    def _search_query(self, query: ArxivQuery) -> str:
        cats = [c if "." in c or "-" in c else f"{c}.*" for c in query.categories]
        parts = ["(" + " OR ".join(f"cat:{c}" for c in cats) + ")"] if cats else []
        start, end = query.from_date or self.filters.from_date, query.to_date or self.filters.to_date
        if start or end:
            lo = (start or Date(1991, 1, 1)).strftime("%Y%m%d") + "0000"
            hi = (end or Date(2100, 1, 1)).strftime("%Y%m%d") + "2359"
            parts.append(f"submittedDate:[{lo} TO {hi}]")
        if not parts:
            raise PaperError("arxiv: a query needs categories, ids or a date window")
        return " AND ".join(parts)

    def search(self, query: ArxivQuery) -> Iterator[ArxivEntry]:
        """Entries matching the query, oldest submission first, up to `max_results`."""
        if query.ids:
            ids = [normalize_arxiv_id(i) for i in query.ids]
            params = {"id_list": ",".join(ids), "max_results": len(ids)}
            _, entries = parse_feed(self.fetcher.get(self.config.api_url, params), "arxiv API")
            yield from entries
            return
        search = self._search_query(query)
        start = 0
        while start < query.max_results:
            size = min(self.config.page_size, query.max_results - start)
            params = {"search_query": search, "start": start, "max_results": size,
                      "sortBy": "submittedDate", "sortOrder": "ascending"}
            total, entries = parse_feed(self.fetcher.get(self.config.api_url, params), f"arxiv API ({search})")
            yield from entries[: query.max_results - start]
            start += len(entries)
            if not entries or len(entries) < size or (total is not None and start >= total):
                return

    def license(self, arxiv_id: str) -> str | None:
        """The paper's license from arXiv's OAI-PMH metadata, or None when it has none."""
        params = {"verb": "GetRecord", "identifier": f"oai:arXiv.org:{arxiv_id}", "metadataPrefix": "arXiv"}
        root = parse_xml(self.fetcher.get(self.config.oai_url, params), f"arxiv OAI-PMH {arxiv_id}")
        return normalize_license(_words(next((el.text for el in root.iter("license")), None)))

    def candidates(self, query: ArxivQuery) -> Iterator[Candidate]:
        """One `Candidate` per listed paper; fetching happens only when its `load` is called."""
        for entry in self.search(query):
            yield Candidate(
                key=f"arxiv:{entry.id}",
                label=f"arxiv:{entry.id}",
                load=lambda entry=entry: self.fetch(entry),
                date=entry.published,
                domain=arxiv_domain(entry.primary_category),
            )

    def _download_text(self, entry: ArxivEntry) -> tuple[Paper, str]:
        url = self.config.eprint_url.format(id=entry.id)
        try:
            data = self.fetcher.get(url)
            return read_bytes(data, f"arxiv:{entry.id} e-print", fmt="eprint", limits=self.limits), "eprint"
        except PaperError as first:
            url = self.config.pdf_url.format(id=entry.id)
            try:
                return read_bytes(self.fetcher.get(url), f"arxiv:{entry.id} PDF", fmt="pdf", limits=self.limits), "pdf"
            except PaperError as second:
                raise PaperError(f"arxiv:{entry.id}: no usable source ({first}) nor PDF ({second})") from None

    def fetch(self, entry: ArxivEntry) -> Paper:
        """The full paper: license checked first, then the e-print (or the PDF when that fails)."""
        license = self.license(entry.id) if self.config.fetch_license else None
        if self.config.fetch_license:
            reason = self.filters.reject(license=license)
            if reason:
                raise Filtered(f"arxiv:{entry.id}: {reason}")
        paper, how = self._download_text(entry)
        ids = {"arxiv": entry.id, **({"doi": entry.doi} if entry.doi else {}), "sha256": paper.ids.get("sha256", "")}
        meta = {**paper.meta, "fetched": how, "primary_category": entry.primary_category,
                "categories": entry.categories, "version": entry.version, "comment": entry.comment,
                "journal_ref": entry.journal_ref}
        return paper.model_copy(update={
            "id": f"arxiv:{entry.id}",
            "title": entry.title or paper.title,
            "abstract": entry.abstract or paper.abstract,
            "authors": entry.authors or paper.authors,
            "date": entry.published,
            "venue": "arXiv",
            "domain": arxiv_domain(entry.primary_category),
            "license": license,
            "source_url": self.config.abs_url.format(id=entry.id),
            "ids": ids,
            "meta": meta,
        })
