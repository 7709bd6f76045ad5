"""The extraction stage: papers -> goals.jsonl, resumable by paper id.

For each paper: the creator proposes candidates, the selector scores them and keeps the
best, the leakage check judges the kept rubric, and the dedup index drops a goal that
near-duplicates one already kept from another paper. Files written beside the goals:

    goals.jsonl        accepted `Goal`s, every selector score on them
    candidates.jsonl   every scored candidate (as `Goal` records; meta.selected marks the winner)
    duplicates.jsonl   goals dropped as near-duplicates (meta.duplicate_of)
    failures.jsonl     papers that failed or yielded no acceptable candidate, with the reason
    extract_log.jsonl  one line per paper processed: outcome, model calls and tokens

A paper already in the log (or in goals.jsonl) is skipped, so a rerun makes no model call;
failed and rejected papers are retried only with `retry_failed`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import Field

from sciplan.errors import SciplanError
from sciplan.extract.config import ExtractConfig
from sciplan.extract.creator import create_candidates, with_pitfalls
from sciplan.extract.dedup import DuplicateIndex
from sciplan.extract.embeddings import Embedder, get_embedder
from sciplan.extract.leakage import check_leakage
from sciplan.extract.selector import ScoredCandidate, select
from sciplan.extract.usage import Meter, metered, metering
from sciplan.grade import Grader
from sciplan.jsonl import JsonlWriter, read_records
from sciplan.llm import (
    Ledger,
    Model,
    close_models,
    get_model,
    stage,
)
from sciplan.llm.errors import FATAL_ERRORS
from sciplan.records import Failure, Goal, Paper, Record, make_id

__all__ = ["ExtractPaths", "PaperLog", "ProgressSink", "ExtractResult", "extract_papers", "run_extract"]

log = logging.getLogger(__name__)

# Errors no other paper would escape either: stop the run (nothing is marked done).
_FATAL = FATAL_ERRORS

Outcome = Literal["accepted", "duplicate", "rejected", "failed"]


@dataclass(frozen=True)
class ExtractPaths:
    """The stage's files; the siblings of `goals` share its name prefix unless it is `goals.jsonl`."""

    goals: Path
    candidates: Path
    duplicates: Path
    failures: Path
    log: Path

    @classmethod
    def beside(cls, goals: str | Path) -> ExtractPaths:
        """The standard file names next to a goals file."""
        g = Path(goals)
        prefix = "" if g.stem == "goals" else f"{g.stem}."
        return cls(goals=g, candidates=g.with_name(f"{prefix}candidates.jsonl"),
                   duplicates=g.with_name(f"{prefix}duplicates.jsonl"), failures=g.with_name("failures.jsonl"),
                   log=g.with_name(f"{prefix}extract_log.jsonl"))


class ProgressSink(Protocol):
    """What the stage reports to while it runs (a rich bar, or a test's recorder)."""

    def start(self, total: int, skipped: int) -> None: ...

    def advance(self, paper: Paper, entry: PaperLog) -> None: ...


class PaperLog(Record):
    """One processed paper (id = the paper id): its outcome and what it cost."""

    outcome: Outcome
    goal_id: str | None = None
    error: str | None = None
    candidates: int = 0
    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class ExtractResult:
    """What one run of the stage did: counts, usage and the files it wrote."""

    paths: ExtractPaths
    papers: int = 0
    skipped: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed: int = 0
    candidates: int = 0
    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    seconds: float = 0.0
    leaked_items: int = 0
    judged_items: int = 0
    goals: list[Goal] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def tokens_per_goal(self) -> float | None:
        """Tokens spent this run per accepted goal (failed and dropped papers included)."""
        return self.tokens / self.accepted if self.accepted else None

    @property
    def leakage_rate(self) -> float | None:
        return self.leaked_items / self.judged_items if self.judged_items else None

    def add(self, entry: PaperLog) -> None:
        """Count one processed paper."""
        self.papers += 1
        counter = {"accepted": "accepted", "duplicate": "duplicates", "rejected": "rejected", "failed": "failed"}
        setattr(self, counter[entry.outcome], getattr(self, counter[entry.outcome]) + 1)
        self.candidates += entry.candidates
        self.calls += entry.calls
        self.cached += entry.cached
        self.prompt_tokens += entry.prompt_tokens
        self.completion_tokens += entry.completion_tokens

    def summary_lines(self) -> list[str]:
        """What was written and what it cost, for the console."""
        per_goal = f"{self.tokens_per_goal:,.0f}" if self.tokens_per_goal is not None else "—"
        leak = f"{self.leakage_rate:.1%}" if self.leakage_rate is not None else "—"
        return [
            f"extract: {self.papers} paper(s) processed, {self.skipped} skipped (done before): "
            f"{self.accepted} accepted, {self.duplicates} duplicate(s), {self.rejected} rejected, "
            f"{self.failed} failed ({self.candidates} candidates)",
            f"  cost: {self.calls} model call(s) ({self.cached} cached), {self.prompt_tokens:,} tokens in, "
            f"{self.completion_tokens:,} out, ${self.cost:.4f}; {per_goal} tokens per accepted goal; "
            f"leakage {leak}; {self.seconds:.1f}s",
            f"  goals: {self.paths.goals}",
            f"  candidates: {self.paths.candidates}; log: {self.paths.log}"
            + (f"; duplicates: {self.paths.duplicates}" if self.duplicates else "")
            + (f"; failures: {self.paths.failures}" if self.failed or self.rejected else ""),
        ]


def _candidate_record(paper: Paper, sc: ScoredCandidate, selected: bool) -> Goal:
    c = sc.candidate
    return Goal(id=c.id, paper_id=paper.id, domain=paper.domain, text=c.goal,
                **with_pitfalls(sc.kept or c.rubric, c.pitfalls), reference=c.reference, scores=dict(sc.scores), date=paper.date,
                meta={"candidate": c.index, "selected": selected, "dropped": sc.dropped, "errors": sc.errors,
                      "preliminary_rubric": c.rubric, "items": [i.as_dict() for i in sc.items],
                      "checks": sc.checks_dict(), "reference_grade": _grade_summary(sc)})


def _grade_summary(sc: ScoredCandidate) -> dict[str, Any] | None:
    g = sc.grade
    if g is None:
        return None
    return {"id": g.id, "grader": g.grader, "score": g.score, "failed": g.failed, "error": g.error,
            "items": [{"index": i.index, "satisfied": i.satisfied, "violations": i.violations, "reason": i.reason}
                      for i in g.items]}


def _ledger_cost(ledgers: Sequence[Ledger]) -> float:
    return sum(r.cost for book in ledgers for r in book.rows() if r.stage in ("extract", "select"))


async def extract_papers(
    papers: Sequence[Paper], config: ExtractConfig, paths: ExtractPaths, *, creator: Model, selector: Model,
    embedder: Embedder | None = None, progress: ProgressSink | None = None,
) -> ExtractResult:
    """Run the stage over `papers` with the given models, appending to `paths` (async core of `run_extract`)."""
    cfg = config
    start = time.perf_counter()
    embedder = embedder or get_embedder(cfg.embeddings)
    creator, selector = metered(creator), metered(selector)
    grader = Grader(selector, cfg.selector.grader, stage_name=None)
    result = ExtractResult(paths=paths)
    ledgers = list({id(m.ledger): m.ledger for m in (creator, selector)}.values())
    cost_before = _ledger_cost(ledgers)

    kept = read_records(paths.goals, Goal) if paths.goals.exists() else []
    done = {g.paper_id for g in kept if g.paper_id}
    for entry in (read_records(paths.log, PaperLog) if paths.log.exists() else []):
        if not cfg.retry_failed or entry.outcome in ("accepted", "duplicate"):
            done.add(entry.id)
    index = DuplicateIndex(cfg.dedup, embedder) if cfg.dedup.enabled else None
    for g in kept:
        if index is not None:
            index.add(g)
    todo = list({p.id: p for p in papers if p.id not in done}.values())
    result.skipped = len({p.id for p in papers}) - len(todo)
    if progress is not None:
        progress.start(len(todo), result.skipped)
    slots = asyncio.Semaphore(cfg.concurrency)
    lock = asyncio.Lock()

    with (JsonlWriter(paths.goals) as goals_w, JsonlWriter(paths.candidates) as cand_w,
          JsonlWriter(paths.duplicates) as dup_w, JsonlWriter(paths.failures) as fail_w,
          JsonlWriter(paths.log) as log_w):

        async def one(paper: Paper) -> None:
            async with slots:
                t0 = time.perf_counter()
                with metering() as meter:
                    goal, entry, scored = await _process(paper, cfg, creator, selector, grader, embedder, meter)
                for sc in scored:
                    cand_w.write(_candidate_record(paper, sc, goal is not None and sc.candidate.index ==
                                                   goal.meta.get("candidate")))
                async with lock:
                    if goal is not None:
                        dup = index.offer(goal) if index is not None else None
                        if dup is None:
                            goals_w.write(goal)
                            result.goals.append(goal)
                            leaks = goal.meta.get("leakage", {}).get("items", [])
                            result.judged_items += len(leaks)
                            result.leaked_items += sum(bool(it.get("leaked")) for it in leaks)
                        else:
                            entry.outcome = "duplicate"
                            goal.meta["duplicate_of"] = {"goal_id": dup.of_id, "similarity": round(dup.similarity, 4)}
                            dup_w.write(goal)
                    if entry.outcome in ("failed", "rejected"):
                        fail_w.write(Failure.of("extract", f"paper {paper.id} ({paper.title[:80]})",
                                                entry.error or entry.outcome))
                    entry.seconds = time.perf_counter() - t0
                    log_w.write(entry)
                    result.add(entry)
                if progress is not None:
                    progress.advance(paper, entry)

        # A task group: a fatal error (server gone, no key) cancels the papers still running,
        # so nothing is written after the files are closed.
        try:
            async with asyncio.TaskGroup() as group:
                for p in todo:
                    group.create_task(one(p))
        except BaseExceptionGroup as eg:
            raise eg.exceptions[0] from None  # the one error the user needs to see
    result.cost = _ledger_cost(ledgers) - cost_before
    result.seconds = time.perf_counter() - start
    return result


async def _process(paper: Paper, cfg: ExtractConfig, creator: Model, selector: Model, grader: Grader,
                   embedder: Embedder, meter: Meter) -> tuple[Goal | None, PaperLog, list[ScoredCandidate]]:
    """One paper end to end: (accepted goal or None, its log line, the scored candidates)."""
    entry = PaperLog(id=paper.id, outcome="failed")
    scored: list[ScoredCandidate] = []
    goal = None
    try:
        with stage("extract"):
            created = await create_candidates(creator, paper, cfg.creator)
        entry.candidates = len(created.candidates)
        with stage("select"):
            selection = await select(selector, grader, created.candidates, cfg.selector, embedder)
            scored = selection.scored
            if selection.best is None:
                entry.outcome = "rejected"
                why = "; ".join(e for s in scored for e in s.errors) or (
                    f"no candidate reached min_average {cfg.selector.min_average}")
                entry.error = f"no acceptable candidate: {why}"
            else:
                goal = await _make_goal(paper, selection.best, cfg, selector, embedder, created.context, len(scored))
                entry.outcome, entry.goal_id = "accepted", goal.id
    except _FATAL:
        raise
    except Exception as exc:  # a paper the models cannot handle: recorded, the rest go on
        log.debug("paper %s failed", paper.id, exc_info=True)
        entry.outcome = "failed"
        entry.error = str(exc) if isinstance(exc, SciplanError) else f"{type(exc).__name__}: {exc}"
    entry.calls, entry.cached = meter.calls, meter.cached
    entry.prompt_tokens, entry.completion_tokens = meter.prompt_tokens, meter.completion_tokens
    if goal is not None:
        goal.meta["usage"] = meter.as_dict()
    return goal, entry, scored


async def _make_goal(paper: Paper, best: ScoredCandidate, cfg: ExtractConfig, selector: Model, embedder: Embedder,
                     context: dict[str, Any], n_candidates: int) -> Goal:
    """The accepted goal: the best candidate's filtered rubric, every score, provenance and leakage."""
    c = best.candidate
    rubric = best.kept
    scores = dict(best.scores)
    meta: dict[str, Any] = {
        "title": paper.title, "venue": paper.venue, "decision": paper.decision, "source_url": paper.source_url,
        "license": paper.license, "candidate": c.index, "candidates": n_candidates,
        "creator": cfg.creator.model, "selector": selector.name, "context": context,
        "preliminary_rubric": c.rubric, "items": [i.as_dict() for i in best.items], "checks": best.checks_dict(),
        "reference_grade": _grade_summary(best), "errors": best.errors,
    }
    if cfg.leakage.enabled:
        leaks, error = await check_leakage(selector, c.goal, rubric, cfg.leakage, embedder)
        leaked = [lk for lk in leaks if lk.leaked]
        scores["leakage"] = len(leaked) / len(leaks) if leaks else 0.0
        meta["leakage"] = {"items": [lk.as_dict() for lk in leaks], "rule": cfg.leakage.rule, "error": error}
        if cfg.leakage.drop_leaked and leaked:
            keep = [lk.item for lk in leaks if not lk.leaked]
            # At least one item stays: the one least like the goal.
            rubric = keep or [min(leaks, key=lambda lk: lk.similarity).item]
            meta["leakage"]["dropped"] = [lk.item for lk in leaks if lk.item not in rubric]
    return Goal(id=make_id("goal", paper.id, c.goal), paper_id=paper.id, domain=paper.domain, text=c.goal,
                **with_pitfalls(rubric, c.pitfalls), reference=c.reference, scores=scores, date=paper.date, meta=meta)


def run_extract(
    papers: list[Paper], config: ExtractConfig, out_dir: Path, *, progress: bool = True,
    goals_name: str = "goals.jsonl", creator: Model | None = None, selector: Model | None = None,
) -> ExtractResult:
    """Extract goals from `papers` into `out_dir/goals_name` (+ siblings); skip papers already done."""
    from sciplan.extract.progress import ExtractProgress

    paths = ExtractPaths.beside(Path(out_dir) / goals_name)
    paths.goals.parent.mkdir(parents=True, exist_ok=True)
    creator = creator or get_model(config.creator.model, config.settings)
    selector = selector or (creator if config.selector.model in (None, config.creator.model)
                            else get_model(config.selector.model, config.settings))
    for m in {id(creator): creator, id(selector): selector}.values():
        m.check_ready()

    async def main() -> ExtractResult:
        try:
            with ExtractProgress(enabled=progress) as bar:
                return await extract_papers(papers, config, paths, creator=creator, selector=selector, progress=bar)
        finally:
            await close_models()

    result = asyncio.run(main())
    if progress:
        ExtractProgress.print_summary(result)
    return result
