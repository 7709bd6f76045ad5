"""The ingest stage: inputs (paths and source queries) -> papers.jsonl, failures.jsonl.

Each input that fails is written to failures.jsonl with its reason and the run goes on.
A re-run skips papers already in the output: remote ones by id before any download,
local files by the SHA-256 of their content before they are parsed.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field

from sciplan.errors import SciplanError
from sciplan.jsonl import JsonlWriteError, JsonlWriter, read_jsonl
from sciplan.papers.archive import ArchiveLimits
from sciplan.papers.errors import Filtered
from sciplan.papers.filters import PaperFilter
from sciplan.papers.identity import sha256_hex
from sciplan.papers.latex import is_latex_dir
from sciplan.papers.readers import is_paper_file, read_bytes, read_path
from sciplan.papers.sources import Candidate, Sources, SourcesConfig, is_query, parse_query
from sciplan.records import Paper

__all__ = ["IngestConfig", "IngestSummary", "IngestFailure", "IngestProgress", "ingest", "local_candidates"]

log = logging.getLogger(__name__)


class IngestConfig(BaseModel):
    """Everything the ingest stage can be told; loadable from YAML with `load_config`."""

    model_config = ConfigDict(extra="forbid")

    filters: PaperFilter = Field(default_factory=PaperFilter)
    limits: ArchiveLimits = Field(default_factory=ArchiveLimits)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    # A paper with less text than this (title, abstract, sections) is reported as a failure.
    min_chars: int = Field(200, ge=0)
    # Keep JATS figure captions as bracketed paragraphs.
    captions: bool = False


class IngestFailure(BaseModel):
    """One line of failures.jsonl."""

    input: str
    stage: str = "ingest"
    error: str


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


class IngestProgress(Protocol):
    """Progress reporting: `found` grows the total, `done` reports one finished candidate."""

    def found(self, n: int) -> None:
        """`n` more inputs to process were found."""

    def done(self, outcome: str, label: str) -> None:
        """One input finished: outcome is written, skipped, filtered or failed."""


class _NoProgress:
    def found(self, n: int) -> None:
        pass

    def done(self, outcome: str, label: str) -> None:
        pass


def _walk(root: Path) -> Iterator[tuple[Path, str | None]]:
    """(path, problem) for each paper file and LaTeX folder under `root`, in a stable order.

    Iterative, so no folder depth ends the run; hidden entries are skipped; a symbolic
    link whose target lies outside `root` comes back with a problem instead of being followed.
    """
    try:
        if not root.is_dir() or is_latex_dir(root):
            yield root, None
            return
        real_root = root.resolve()
    except OSError as exc:
        yield root, f"{root}: cannot read ({exc.strerror or exc})"
        return
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            children = sorted(c for c in folder.iterdir() if not c.name.startswith("."))
        except OSError as exc:
            yield folder, f"{folder}: cannot list ({exc.strerror or exc})"
            continue
        todo: list[Path] = []
        for child in children:
            try:
                if child.is_symlink():
                    if not (child.is_file() and is_paper_file(child)):
                        continue  # linked folders are not walked (no cycles, no escapes)
                    target = child.resolve()
                    if not target.is_relative_to(real_root):
                        yield child, f"{child}: symbolic link leads outside {root} (to {target}); refused"
                        continue
                if child.is_dir():
                    if is_latex_dir(child):
                        yield child, None
                    else:
                        todo.append(child)
                elif is_paper_file(child):
                    yield child, None if child.is_file() else f"{child}: not a regular file (a FIFO or device?)"
            except OSError as exc:
                yield child, f"{child}: cannot read ({exc.strerror or exc})"
        stack.extend(reversed(todo))


def _refused(label: str, problem: str) -> Candidate:
    def load() -> Paper:
        raise SciplanError(problem)

    return Candidate(key=None, label=label, local=True, load=load)


def local_candidates(path: Path, config: IngestConfig) -> Iterator[Candidate]:
    """One `Candidate` per paper under a local path (a file, a LaTeX folder, or a folder of papers)."""
    for p, problem in _walk(path):
        if problem:
            yield _refused(str(p), problem)
            continue
        if p.is_dir():
            yield Candidate(key=None, label=str(p), local=True,
                            load=lambda p=p: read_path(p, limits=config.limits, captions=config.captions))
            continue
        try:
            st = p.stat()
            if not stat.S_ISREG(st.st_mode):
                yield _refused(str(p), f"{p}: not a regular file or folder (a FIFO or device?)")
                continue
            if st.st_size > config.limits.max_total_bytes:
                yield _refused(str(p), f"{p}: {st.st_size:,} bytes, over the "
                                        f"{config.limits.max_total_bytes:,}-byte limit")
                continue
            data = p.read_bytes()
        except OSError as exc:
            yield _refused(str(p), f"{p}: cannot read ({exc.strerror or exc})")
            continue
        yield Candidate(key=f"sha256:{sha256_hex(data)}", label=str(p), local=True,
                        load=lambda d=data, p=p: read_bytes(d, str(p), limits=config.limits, captions=config.captions))


def _count_local(items: list[str]) -> int:
    """How many local candidates the inputs hold (for the progress total); never raises."""
    n = 0
    for item in items:
        try:
            if not is_query(item) and Path(item).exists():
                n += sum(1 for _ in _walk(Path(item)))
        except OSError:
            n += 1
    return n


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
    progress: IngestProgress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> IngestSummary:
    """Turn inputs (paths or source queries) into Paper records appended to `out`."""
    config = config or IngestConfig()
    out = Path(out)
    fail_path = Path(failures) if failures is not None else out.with_name("failures.jsonl")
    summary = IngestSummary(out=out, failures=fail_path)
    progress = progress or _NoProgress()
    started = time.monotonic()

    items = [str(i) for i in inputs]
    with JsonlWriter[Paper](out) as writer, JsonlWriter[IngestFailure](fail_path) as fail_writer:
        # The lock first: a second ingest into the same file is refused before it reads or writes.
        writer.open()
        done = _already_done(out)
        progress.found(_count_local(items))
        sources = Sources(config.sources, config.filters, config.limits, client=client, clock=clock, sleep=sleep)

        def fail(label: str, error: str) -> None:
            summary.failed += 1
            fail_writer.write(IngestFailure(input=label, error=error))
            progress.done("failed", label)

        def handle(cand: Candidate) -> None:
            if cand.key is not None and cand.key in done:
                summary.skipped += 1
                progress.done("skipped", cand.label)
                return
            reason = config.filters.reject(date=cand.date, domain=cand.domain, license=cand.license,
                                           license_known=cand.license is not None, local=cand.local)
            try:
                if reason:
                    raise Filtered(f"{cand.label}: {reason}")
                paper = cand.load()
                if paper.id in done:
                    summary.skipped += 1
                    progress.done("skipped", cand.label)
                    return
                reason = config.filters.reject_paper(paper, local=cand.local)
                if reason:
                    raise Filtered(f"{cand.label}: {reason}")
            except Filtered as f:
                summary.filtered += 1
                summary.filtered_reasons.append(f.reason)
                progress.done("filtered", cand.label)
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
            progress.done("written", cand.label)

        try:
            for item in items:
                try:
                    if is_query(item) or (":" in item and not Path(item).exists()):
                        for cand in sources.candidates(parse_query(item)):
                            progress.found(1)
                            handle(cand)
                    elif Path(item).exists():
                        for cand in local_candidates(Path(item), config):
                            handle(cand)
                    else:
                        raise SciplanError(f"{item}: no such file or folder, and not a query "
                                           "(arxiv:, pmc:, pmc-query:, openreview:)")
                except JsonlWriteError:
                    raise  # the output cannot be written (disk full, read-only): nothing else can go on
                except (SciplanError, OSError) as exc:  # listing failed: this input stops, not the run
                    progress.found(1)
                    fail(item, str(exc) if isinstance(exc, SciplanError) else f"{item}: {exc}")
        finally:
            sources.close()
    summary.seconds = time.monotonic() - started
    return summary
