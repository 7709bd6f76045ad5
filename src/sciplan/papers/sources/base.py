"""A paper a source has listed but not fetched yet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date as Date

from sciplan.records import Paper

__all__ = ["Candidate"]


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
