"""A paper a source has listed but not fetched yet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date as Date
from typing import Any

from pydantic import BaseModel

from sciplan.config import Strict
from sciplan.papers.archive import ArchiveLimits
from sciplan.papers.errors import PaperError
from sciplan.papers.filters import PaperFilter
from sciplan.papers.sources.http import Fetcher
from sciplan.records import Paper

__all__ = ["Candidate", "QueryText", "SourceConfig", "SourceContext", "SourceSpec"]


@dataclass
class Candidate:
    """What is known before download, and how to fetch the paper.

    `key` is what a re-run compares with the output to skip work: the paper id for
    remote papers, `sha256:<digest>` for local files. Known `date`/`domain`/`license`
    let the filters drop a paper before anything is downloaded.
    """

    key: str | None
    label: str
    load: Callable[[], Paper]
    date: Date | None = None
    domain: str | None = None
    license: str | None = None
    local: bool = False


class SourceConfig(Strict):
    """What every source's settings share: how often to call it and how much to ask for at once."""

    interval_s: float = 3.0
    page_size: int = 100


@dataclass(frozen=True)
class QueryText:
    """One query string split up: `prefix:body?params`, with the common parameters typed."""

    text: str
    prefix: str
    body: str
    params: dict[str, str]
    # from_date / to_date / max_results when given (from=, to=, max=).
    common: dict[str, Any]

    @property
    def items(self) -> list[str]:
        """The comma-separated items of the body, stripped."""
        return [i.strip() for i in self.body.split(",") if i.strip()]

    def error(self, message: str) -> PaperError:
        """An error that names the query string."""
        return PaperError(f"{self.text}: {message}")


@dataclass(frozen=True)
class SourceSpec:
    """A paper source as the registry knows it (`sciplan.papers.sources.registry`).

    `prefixes` maps each query prefix it answers (`pmc`, `pmc-query`) to the parameters
    that prefix accepts; `parse` turns a split query string into the source's query;
    `make` builds the source on the run's paced fetcher.
    """

    name: str
    prefixes: dict[str, frozenset[str]]
    query: type[BaseModel]
    config: type[SourceConfig]
    parse: Callable[[QueryText], BaseModel]
    make: Callable[[Fetcher, Any, SourceContext], Any]
    # One line per prefix for `sciplan ingest --help` and errors.
    syntax: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceContext:
    """What a run gives every source besides its own settings."""

    filters: PaperFilter
    limits: ArchiveLimits
    contact: str | None = None
