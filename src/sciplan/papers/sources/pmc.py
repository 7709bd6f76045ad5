"""PubMed Central open access: PMCID lists or date-bounded searches, JATS from PMC's OA services.

For each article the OA web service (oa.fcgi) says whether it is in the open-access
subset, under which license, and whether it was retracted; only then is the JATS
full text fetched, from PMC's OAI-PMH service.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date as Date

from pydantic import BaseModel, ConfigDict, Field

from sciplan.papers.errors import Filtered, PaperError, SourceError
from sciplan.papers.filters import PaperFilter
from sciplan.papers.identity import normalize_pmcid
from sciplan.papers.jats import parse_xml
from sciplan.papers.licenses import normalize_license
from sciplan.papers.readers import read_bytes
from sciplan.papers.sources.base import Candidate
from sciplan.papers.sources.http import Fetcher
from sciplan.records import Paper

__all__ = ["PmcConfig", "PmcQuery", "PmcSource", "OaRecord"]


class PmcConfig(BaseModel):
    """Where PMC's services live and how often to call them."""

    model_config = ConfigDict(extra="forbid")

    oa_url: str = "https://www.ncbi.nlm.nih.gov/pmc/utils/oa/oa.fcgi"
    oai_url: str = "https://www.ncbi.nlm.nih.gov/pmc/oai/oai.cgi"
    esearch_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi"
    article_url: str = "https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"
    # PMC asks OAI-PMH harvesters for at most one request every 3 seconds.
    interval_s: float = 3.0
    page_size: int = 200
    tool: str = "sciplan"


class PmcQuery(BaseModel):
    """Explicit PMCIDs, or a search term (may be empty) within a publication-date window."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(default_factory=list)
    term: str | None = None
    from_date: Date | None = None
    to_date: Date | None = None
    max_results: int = 100


class OaRecord(BaseModel):
    """PMC's open-access record of one article."""

    pmcid: str
    license: str | None = None
    license_raw: str | None = None
    citation: str | None = None
    retracted: bool = False


class PmcSource:
    """Lists and fetches PMC open-access articles through one paced `Fetcher`."""

    def __init__(self, fetcher: Fetcher, config: PmcConfig | None = None, filters: PaperFilter | None = None,
                 contact: str | None = None) -> None:
        self.fetcher = fetcher
        self.config = config or PmcConfig()
        self.filters = filters or PaperFilter()
        self.contact = contact

    def _who(self) -> dict[str, str]:
        # NCBI asks tools to identify themselves with `tool` and `email`.
        return {"tool": self.config.tool, **({"email": self.contact} if self.contact else {})}

    def search(self, query: PmcQuery) -> Iterator[str]:
        """PMCIDs of open-access articles matching the term and the publication-date window."""
        term = f"({query.term}) AND open access[filter]" if query.term else "open access[filter]"
        params: dict[str, str | int] = {"db": "pmc", "term": term, **self._who()}
        start, end = query.from_date or self.filters.from_date, query.to_date or self.filters.to_date
        if start or end:
            params |= {"datetype": "pdat", "mindate": (start or Date(1800, 1, 1)).strftime("%Y/%m/%d"),
                       "maxdate": (end or Date(2100, 1, 1)).strftime("%Y/%m/%d")}
        got = 0
        while got < query.max_results:
            size = min(self.config.page_size, query.max_results - got)
            root = parse_xml(self.fetcher.get(self.config.esearch_url, {**params, "retstart": got, "retmax": size}),
                             f"pmc search {term!r}")
            error = root.findtext("ERROR")
            if error:
                raise SourceError(f"pmc search {term!r}: {error}")
            ids = [i.text.strip() for i in root.iter("Id") if i.text]
            count = int((root.findtext("Count") or "0").strip() or 0)
            for uid in ids[: query.max_results - got]:
                yield normalize_pmcid(uid)
            got += len(ids)
            if not ids or got >= count:
                return

    def oa_record(self, pmcid: str) -> OaRecord:
        """The OA service's record; PaperError when the article is not in the open-access subset."""
        root = parse_xml(self.fetcher.get(self.config.oa_url, {"id": pmcid, **self._who()}), f"pmc:{pmcid} OA record")
        error = root.find("error")
        if error is not None:
            code = error.get("code", "")
            if code == "idIsNotOpenAccess":
                raise Filtered(f"pmc:{pmcid}: not in the PMC open-access subset")
            raise PaperError(f"pmc:{pmcid}: OA service says {code or 'error'}: {' '.join((error.text or '').split())}")
        record = root.find("records/record")
        if record is None:
            raise SourceError(f"pmc:{pmcid}: OA service returned no record")
        raw = record.get("license")
        return OaRecord(pmcid=pmcid, license=normalize_license(raw), license_raw=raw,
                        citation=record.get("citation"), retracted=record.get("retracted", "no") == "yes")

    def jats(self, pmcid: str) -> bytes:
        """The article's JATS XML, from PMC's OAI-PMH GetRecord."""
        params = {"verb": "GetRecord", "identifier": f"oai:pubmedcentral.nih.gov:{pmcid[3:]}", "metadataPrefix": "pmc"}
        data = self.fetcher.get(self.config.oai_url, params)
        root = parse_xml(data, f"pmc:{pmcid} OAI-PMH")
        error = root.find("error")
        if error is not None:
            detail = " ".join((error.text or "").split())
            raise SourceError(f"pmc:{pmcid}: OAI-PMH error {error.get('code', '')}: {detail}")
        return data

    def candidates(self, query: PmcQuery) -> Iterator[Candidate]:
        """One `Candidate` per PMCID; fetching happens only when its `load` is called."""
        ids = (normalize_pmcid(i) for i in query.ids) if query.ids else self.search(query)
        for pmcid in ids:
            yield Candidate(key=f"pmc:{pmcid}", label=f"pmc:{pmcid}", load=lambda p=pmcid: self.fetch(p),
                            domain="medical")

    def fetch(self, pmcid: str) -> Paper:
        """The article: open-access status, license and retraction checked before the full text is fetched."""
        pmcid = normalize_pmcid(pmcid)
        record = self.oa_record(pmcid)
        if record.retracted:
            raise Filtered(f"pmc:{pmcid}: retracted")
        # The OA service classifies every article's license: check it before the download.
        reason = self.filters.reject(license=record.license, license_known=record.license_raw is not None)
        if reason:
            raise Filtered(f"pmc:{pmcid}: {reason}")
        paper = read_bytes(self.jats(pmcid), f"pmc:{pmcid}", fmt="jats")  # under the reader contract
        license = record.license or paper.license
        meta = {**paper.meta, "oa_license": record.license_raw, "citation": record.citation}
        return paper.model_copy(update={
            "id": f"pmc:{pmcid}",
            "license": license,
            "source_url": self.config.article_url.format(pmcid=pmcid),
            "ids": {**paper.ids, "pmcid": pmcid},
            "meta": meta,
        })
