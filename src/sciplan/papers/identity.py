"""Stable paper ids: `pmc:PMC…`, `arxiv:…`, `openreview:…`, or `file:<sha256 prefix>`.

The same paper gets the same id in every run, so a re-run skips what it already wrote.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["content_id", "sha256_hex", "normalize_arxiv_id", "normalize_pmcid", "ARXIV_ID"]

# New-style (2401.01234, optional version) and old-style (hep-th/9901001) arXiv ids.
ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]+/\d{7})(?:v\d+)?$", re.I)
_PMCID = re.compile(r"^(?:pmc)?(\d{1,10})$", re.I)


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` in hex."""
    return hashlib.sha256(data).hexdigest()


def content_id(digest: str) -> str:
    """The id of a local file from the SHA-256 hex digest of its content."""
    return f"file:{digest[:16]}"


def normalize_arxiv_id(value: str) -> str:
    """`http://arxiv.org/abs/2401.01234v2` or `arXiv:2401.01234` -> `2401.01234` (no version)."""
    v = value.strip()
    v = re.sub(r"^https?://(?:export\.)?arxiv\.org/(?:abs|pdf|e-print)/", "", v, flags=re.I)
    v = re.sub(r"^arxiv:", "", v, flags=re.I).removesuffix(".pdf")
    if not ARXIV_ID.match(v):
        raise ValueError(f"not an arXiv id: {value!r}")
    return re.sub(r"v\d+$", "", v)


def normalize_pmcid(value: str) -> str:
    """`3460867`, `pmc3460867` or `PMC3460867` -> `PMC3460867`."""
    m = _PMCID.match(value.strip())
    if not m:
        raise ValueError(f"not a PMC id: {value!r}")
    return f"PMC{m.group(1)}"
