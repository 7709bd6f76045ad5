"""Errors of paper ingestion: each names the input it is about."""

from __future__ import annotations

from sciplan.errors import SciplanError

__all__ = ["PaperError", "UnsafeArchiveError", "SourceError", "Filtered"]


class PaperError(SciplanError):
    """An input that cannot be turned into a `Paper` (unreadable, hostile, empty)."""


class UnsafeArchiveError(PaperError):
    """An archive refused before anything was extracted (traversal, links, size limits)."""


class SourceError(PaperError):
    """A remote source (arXiv, PMC, OpenReview) failed or answered something unusable."""


class Filtered(Exception):
    """Not an error: the paper is outside the configured date, domain or license filter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
