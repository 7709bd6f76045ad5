"""Errors of the extraction stage: a paper that yields no goal, a judgment that never validates."""

from __future__ import annotations

from sciplan.errors import SciplanError

__all__ = ["ExtractionError", "JudgmentError"]


class ExtractionError(SciplanError):
    """A paper that yields no usable candidate; the stage records it in failures.jsonl and goes on."""


class JudgmentError(SciplanError):
    """A selector or leakage judgment whose output stayed invalid after the repairs."""
