"""OpenReview (API v2): a venue id -> its accepted papers, their decision and their PDF.

Accepted papers of a venue carry `content.venueid` equal to the venue id; rejected and
withdrawn ones get `.../Rejected_Submission` or `.../Withdrawn_Submission` instead.
The decision tier is in `content.venue` ("NeurIPS 2024 oral", "ICLR 2025 Spotlight").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from datetime import date as Date
from functools import partial
from typing import Any

from pydantic import Field

from sciplan.config import Strict
from sciplan.papers.errors import Filtered, SourceError
from sciplan.papers.filters import PaperFilter
from sciplan.papers.licenses import normalize_license
from sciplan.papers.readers import read_bytes
from sciplan.papers.sources.base import Candidate, QueryText, SourceConfig, SourceContext, SourceSpec
from sciplan.papers.sources.http import Fetcher
from sciplan.records import Paper

__all__ = ["OpenReviewConfig", "OpenReviewQuery", "OpenReviewSource", "decision_of", "DECISIONS", "SPEC"]

DECISIONS = ("oral", "spotlight", "poster")


class OpenReviewConfig(SourceConfig):
    """Where OpenReview's API lives and how often to call it."""

    api_url: str = "https://api2.openreview.net"
    forum_url: str = "https://openreview.net/forum?id={id}"
    interval_s: float = 1.0
    page_size: int = 1000


class OpenReviewQuery(Strict):
    """A venue id (e.g. `NeurIPS.cc/2024/Conference`), optionally only some decisions."""

    venue: str
    decisions: list[str] = Field(default_factory=list)
    max_results: int | None = None


def _value(content: dict[str, Any], key: str) -> Any:
    """A content field of an API v2 note ({"value": ...}), tolerating v1's bare values."""
    item = content.get(key)
    return item.get("value") if isinstance(item, dict) else item


def decision_of(venue_text: str | None) -> str:
    """oral / spotlight / poster from a note's venue string; `accept` when it names no tier."""
    low = (venue_text or "").lower()
    return next((d for d in DECISIONS if d in low), "accept")


def _note_date(note: dict[str, Any]) -> Date | None:
    for key in ("pdate", "odate", "cdate", "tcdate"):
        ms = note.get(key)
        if isinstance(ms, (int, float)) and ms > 0:
            return datetime.fromtimestamp(ms / 1000, tz=UTC).date()
    return None


class OpenReviewSource:
    """Lists a venue's accepted papers and fetches their PDFs through one paced `Fetcher`."""

    def __init__(self, fetcher: Fetcher, config: OpenReviewConfig | None = None,
                 filters: PaperFilter | None = None) -> None:
        self.fetcher = fetcher
        self.config = config or OpenReviewConfig()
        self.filters = filters or PaperFilter()

    def notes(self, venue: str) -> Iterator[dict[str, Any]]:
        """Every note whose `content.venueid` is `venue` (the accepted papers), page by page."""
        offset = 0
        while True:
            params = {"content.venueid": venue, "limit": self.config.page_size, "offset": offset}
            raw = self.fetcher.get(f"{self.config.api_url}/notes", params)
            try:
                body = json.loads(raw)
            except ValueError:
                raise SourceError(f"openreview:{venue}: the API answered something that is not JSON") from None
            notes = body.get("notes") if isinstance(body, dict) else None
            if not isinstance(notes, list):
                raise SourceError(f"openreview:{venue}: unexpected API answer (no 'notes' list)")
            yield from notes
            offset += len(notes)
            count = body.get("count")
            if not notes or len(notes) < self.config.page_size or (isinstance(count, int) and offset >= count):
                return

    def candidates(self, query: OpenReviewQuery) -> Iterator[Candidate]:
        """One `Candidate` per accepted paper with one of the wanted decisions."""
        wanted = {d.lower() for d in query.decisions}
        n = 0
        for note in self.notes(query.venue):
            content = note.get("content") or {}
            if _value(content, "venueid") not in (None, query.venue):
                continue
            decision = decision_of(_value(content, "venue"))
            if wanted and decision not in wanted:
                continue
            forum = note.get("forum") or note.get("id")
            yield Candidate(
                key=f"openreview:{forum}",
                label=f"openreview:{forum}",
                load=partial(self.fetch, note, query.venue),
                date=_note_date(note),
                domain="ml",
                license=normalize_license(note.get("license")),
            )
            n += 1
            if query.max_results is not None and n >= query.max_results:
                return

    def fetch(self, note: dict[str, Any], venue: str) -> Paper:
        """The paper's PDF read into a `Paper` with the note's metadata and decision."""
        content = note.get("content") or {}
        forum = note.get("forum") or note["id"]
        license = normalize_license(note.get("license"))
        reason = self.filters.reject(license=license)
        if reason:
            raise Filtered(f"openreview:{forum}: {reason}")
        pdf = self.fetcher.get(f"{self.config.api_url}/pdf", {"id": note["id"]})
        paper = read_bytes(pdf, f"openreview:{forum} PDF", fmt="pdf")
        venue_text = _value(content, "venue")
        return paper.model_copy(update={
            "id": f"openreview:{forum}",
            "title": " ".join(str(_value(content, "title") or paper.title).split()),
            "abstract": " ".join(str(_value(content, "abstract") or paper.abstract).split()),
            "authors": [str(a) for a in (_value(content, "authors") or [])] or paper.authors,
            "date": _note_date(note),
            "venue": venue_text or venue,
            "domain": "ml",
            "license": license,
            "decision": decision_of(venue_text),
            "source_url": self.config.forum_url.format(id=forum),
            "ids": {"openreview": forum, "sha256": paper.ids.get("sha256", "")},
            "meta": {**paper.meta, "venueid": venue, "keywords": _value(content, "keywords") or [],
                     "tldr": _value(content, "TLDR") or _value(content, "TL;DR")},
        })


def parse_query(q: QueryText) -> OpenReviewQuery:
    """`openreview:` with a venue id, optionally `decision=` tiers."""
    decisions = [d.strip().lower() for d in q.params.get("decision", "").split(",") if d.strip()]
    bad = [d for d in decisions if d not in DECISIONS]
    if bad:
        raise q.error(f"unknown decision(s) {', '.join(bad)} (use {', '.join(DECISIONS)})")
    if not q.body.strip():
        raise q.error("name a venue id, e.g. openreview:NeurIPS.cc/2024/Conference")
    return OpenReviewQuery(venue=q.body.strip(), decisions=decisions, **q.common)


def _make(fetcher: Fetcher, config: OpenReviewConfig, ctx: SourceContext) -> OpenReviewSource:
    return OpenReviewSource(fetcher, config, ctx.filters)


SPEC = SourceSpec(
    name="openreview", prefixes={"openreview": frozenset({"decision", "max"})}, query=OpenReviewQuery,
    config=OpenReviewConfig, parse=parse_query, make=_make,
    syntax=("openreview:NeurIPS.cc/2024/Conference?decision=oral,spotlight&max=100   accepted papers of a venue",),
)
