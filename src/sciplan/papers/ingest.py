"""The ingest stage: inputs (paths and source queries) -> papers.jsonl, failures.jsonl.

Each input that fails is written to failures.jsonl with its reason and the run goes on.
A re-run skips papers already in the output: remote ones by id before any download,
local files by the SHA-256 of their content before they are parsed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
from pydantic import Field

from sciplan.config import Strict
from sciplan.errors import SciplanError
from sciplan.jsonl import JsonlWriter, read_jsonl
from sciplan.papers.archive import ArchiveLimits
from sciplan.papers.errors import Filtered
from sciplan.papers.filters import PaperFilter
from sciplan.papers.identity import sha256_hex
from sciplan.papers.latex import is_latex_dir
from sciplan.papers.readers import is_paper_file, read_bytes, read_path
from sciplan.papers.sources import Candidate, Sources, SourcesConfig, is_query, parse_query
from sciplan.papers.sources.query import QUERY_PREFIXES
from sciplan.progress import Progress, Silent
from sciplan.records import Failure, Paper

__all__ = ["IngestConfig", "IngestSummary", "ingest", "local_candidates"]

log = logging.getLogger(__name__)


class IngestConfig(Strict):
    """Everything the ingest stage can be told; loadable from YAML with `load_config`."""

    filters: PaperFilter = Field(default_factory=PaperFilter)
    limits: ArchiveLimits = Field(default_factory=ArchiveLimits)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    # A paper with less text than this (title, abstract, sections) is reported as a failure.
    min_chars: int = 200
    # Keep JATS figure captions as bracketed paragraphs.
    captions: bool = False


@dataclass
class IngestSummary:
    """What a run did."""

    out: Path
    failures: Path
    written: int = 0
    skipped: int = 0
    filtered: int = 0
    failed: int = 0
    seconds: float = 0.0
    filtered_reasons: list[str] = field(default_factory=list)


def _report(progress: Progress, summary: IngestSummary, label: str) -> None:
    """One input finished: advance the "ingest" task with the running counts."""
    s = summary
    progress.advance("ingest", note=f"{s.written} new, {s.skipped} skipped, {s.filtered} filtered, "
                                    f"{s.failed} failed  {label[-40:]}")


def _walk(root: Path) -> Iterator[Path]:
    """Paper files and LaTeX project folders under `root`, in a stable order; hidden ones skipped."""
    if root.is_file() or is_latex_dir(root):
        yield root
        return
    for child in sorted(root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir() and not child.is_symlink():
            yield from _walk(child)
        elif child.is_file() and is_paper_file(child):
            yield child


def local_candidates(path: Path, config: IngestConfig) -> Iterator[Candidate]:
    """One `Candidate` per paper under a local path (a file, a LaTeX folder, or a folder of papers)."""
    for p in _walk(path):
        if p.is_dir():
            yield Candidate(key=None, label=str(p), local=True,
                            load=partial(read_path, p, limits=config.limits, captions=config.captions))
            continue
        size = p.stat().st_size
        if size > config.limits.max_total_bytes:
            def too_big(p: Path = p, size: int = size) -> Paper:
                raise SciplanError(f"{p}: {size:,} bytes, over the {config.limits.max_total_bytes:,}-byte limit")
            yield Candidate(key=None, label=str(p), local=True, load=too_big)
            continue
        data = p.read_bytes()
        yield Candidate(key=f"sha256:{sha256_hex(data)}", label=str(p), local=True,
                        load=partial(read_bytes, data, str(p), limits=config.limits, captions=config.captions))


def _already_done(out: Path) -> set[str]:
    done: set[str] = set()
    for obj in read_jsonl(out):
        if "id" in obj:
            done.add(str(obj["id"]))
        sha = (obj.get("ids") or {}).get("sha256")
        if sha:
            done.add(f"sha256:{sha}")
    return done


def _too_short(paper: Paper, min_chars: int) -> bool:
    return len(paper.abstract) + sum(len(s.text) for s in paper.sections) < min_chars


def ingest(
    inputs: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    failures: str | os.PathLike[str] | None = None,
    config: IngestConfig | None = None,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> IngestSummary:
    """Turn inputs (paths or source queries) into Paper records appended to `out`."""
    config = config or IngestConfig()
    out = Path(out)
    fail_path = Path(failures) if failures is not None else out.with_name("failures.jsonl")
    summary = IngestSummary(out=out, failures=fail_path)
    progress = progress or Silent()
    done = _already_done(out)
    sources = Sources(config.sources, config.filters, config.limits, client=client, clock=clock, sleep=sleep)
    started = time.monotonic()

    items = [str(i) for i in inputs]
    local_count = sum(1 for i in items if not is_query(i) and Path(i).exists() for _ in _walk(Path(i)))
    progress.start("ingest", local_count)

    with JsonlWriter(out) as writer, JsonlWriter(fail_path) as fail_writer:

        def fail(label: str, error: str) -> None:
            summary.failed += 1
            fail_writer.write(Failure.of("ingest", label, error))
            _report(progress, summary, label)

        def handle(cand: Candidate) -> None:
            if cand.key is not None and cand.key in done:
                summary.skipped += 1
                _report(progress, summary, cand.label)
                return
            reason = config.filters.reject(date=cand.date, domain=cand.domain, license=cand.license,
                                           license_known=cand.license is not None, local=cand.local)
            try:
                if reason:
                    raise Filtered(f"{cand.label}: {reason}")
                paper = cand.load()
                if paper.id in done:
                    summary.skipped += 1
                    _report(progress, summary, cand.label)
                    return
                reason = config.filters.reject_paper(paper, local=cand.local)
                if reason:
                    raise Filtered(f"{cand.label}: {reason}")
            except Filtered as f:
                summary.filtered += 1
                summary.filtered_reasons.append(f.reason)
                _report(progress, summary, cand.label)
                return
            except SciplanError as exc:
                fail(cand.label, str(exc))
                return
            except Exception as exc:  # a reader bug must not end the run; keep the trace in the log
                log.debug("unexpected error on %s", cand.label, exc_info=True)
                fail(cand.label, f"{cand.label}: unexpected {type(exc).__name__}: {exc}")
                return
            if _too_short(paper, config.min_chars):
                fail(cand.label, f"{cand.label}: too little text ({len(paper.text)} characters) to be a paper")
                return
            writer.write(paper)
            done.add(paper.id)
            if paper.ids.get("sha256"):
                done.add(f"sha256:{paper.ids['sha256']}")
            summary.written += 1
            _report(progress, summary, cand.label)

        try:
            for item in items:
                try:
                    if is_query(item) or (":" in item and not Path(item).exists()):
                        for cand in sources.candidates(parse_query(item)):
                            progress.extend("ingest", 1)
                            handle(cand)
                    elif Path(item).exists():
                        for cand in local_candidates(Path(item), config):
                            handle(cand)
                    else:
                        raise SciplanError(f"{item}: no such file or folder, and not a query "
                                           f"({', '.join(QUERY_PREFIXES)})")
                except (SciplanError, OSError) as exc:  # listing failed: this input stops, not the run
                    progress.extend("ingest", 1)
                    fail(item, str(exc) if isinstance(exc, SciplanError) else f"{item}: {exc}")
        finally:
            sources.close()
    summary.seconds = time.monotonic() - started
    return summary
