"""The paper sources `sciplan ingest` knows, one `SourceSpec` each.

To add a source: write `sciplan/papers/sources/NAME.py` with its config (a `SourceConfig`),
query model, source class, query parser and `SPEC`, then list `SPEC` here (and its settings
field in `SourcesConfig`). Prefixes, parameters, help and error texts come from the specs.
"""

from __future__ import annotations

from pydantic import BaseModel

from sciplan.papers.sources import arxiv, openreview, pmc
from sciplan.papers.sources.base import SourceSpec

__all__ = ["SOURCES", "spec_for_prefix", "spec_for_query", "prefixes"]

SOURCES: tuple[SourceSpec, ...] = (arxiv.SPEC, pmc.SPEC, openreview.SPEC)


def prefixes() -> tuple[str, ...]:
    """Every query prefix with its colon (`arxiv:`, `pmc:`, ...), in registry order."""
    return tuple(f"{p}:" for s in SOURCES for p in s.prefixes)


def spec_for_prefix(prefix: str) -> SourceSpec | None:
    """The source answering `prefix` (lower case, no colon), if any."""
    return next((s for s in SOURCES if prefix in s.prefixes), None)


def spec_for_query(query: BaseModel) -> SourceSpec:
    """The source whose query model `query` is."""
    for s in SOURCES:
        if isinstance(query, s.query):
            return s
    raise TypeError(f"no paper source takes a {type(query).__name__}")
