"""Paper ingestion: real papers (JATS, LaTeX, PDF, Markdown, text; arXiv, PMC, OpenReview) -> `Paper`.

Readers work offline on bytes or paths; sources list and fetch remote papers through an
injectable HTTP client; `ingest` is the stage that writes papers.jsonl and failures.jsonl.
"""

from __future__ import annotations

from sciplan.papers.archive import ArchiveLimits, gunzip, read_tar, read_tree, unpack_eprint
from sciplan.papers.domains import ARXIV_DOMAINS, DOMAINS, arxiv_domain, normalize_domain
from sciplan.papers.errors import Filtered, PaperError, SourceError, UnsafeArchiveError
from sciplan.papers.filters import PaperFilter
from sciplan.papers.identity import content_id, normalize_arxiv_id, normalize_pmcid
from sciplan.papers.ingest import IngestConfig, IngestSummary, ingest
from sciplan.papers.jats import read_jats
from sciplan.papers.latex import latex_to_text, read_latex_dir, read_latex_tree
from sciplan.papers.licenses import DEFAULT_LICENSES, license_family, normalize_license
from sciplan.papers.markdown import read_markdown, read_text
from sciplan.papers.pdf import read_pdf
from sciplan.papers.readers import detect_format, read_bytes, read_path
from sciplan.papers.sources import (
    QUERY_SYNTAX,
    ArxivConfig,
    ArxivQuery,
    ArxivSource,
    Candidate,
    HttpConfig,
    OpenReviewConfig,
    OpenReviewQuery,
    OpenReviewSource,
    Pacer,
    PmcConfig,
    PmcQuery,
    PmcSource,
    Sources,
    SourcesConfig,
    is_query,
    parse_query,
)

__all__ = [
    # readers
    "read_path", "read_bytes", "detect_format", "read_jats", "read_pdf", "read_markdown", "read_text",
    "read_latex_dir", "read_latex_tree", "latex_to_text",
    # archives
    "ArchiveLimits", "gunzip", "read_tar", "read_tree", "unpack_eprint",
    # sources
    "Sources", "SourcesConfig", "HttpConfig", "Pacer", "Candidate", "parse_query", "is_query", "QUERY_SYNTAX",
    "ArxivSource", "ArxivConfig", "ArxivQuery", "PmcSource", "PmcConfig", "PmcQuery",
    "OpenReviewSource", "OpenReviewConfig", "OpenReviewQuery",
    # filters, domains, licenses, ids
    "PaperFilter", "DOMAINS", "ARXIV_DOMAINS", "arxiv_domain", "normalize_domain",
    "DEFAULT_LICENSES", "normalize_license", "license_family", "content_id", "normalize_arxiv_id",
    "normalize_pmcid",
    # the stage
    "ingest", "IngestConfig", "IngestSummary",
    # errors
    "PaperError", "UnsafeArchiveError", "SourceError", "Filtered",
]
