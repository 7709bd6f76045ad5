"""`sciplan ingest`: papers from files, folders and source queries into papers.jsonl."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sciplan.cli.console import console, safe
from sciplan.errors import SciplanError

HELP = """Turn papers into Paper records (papers.jsonl), one line per paper.

INPUTS are files, folders, or source queries:

  paper.pdf, article.nxml, paper.md, notes.txt, main.tex, 2401.01234.tar.gz, paper.tex.gz

  a folder: walked for papers; a folder whose .tex has \\documentclass is one LaTeX paper

  arxiv:2401.01234,2402.00002   arXiv ids

  arxiv:cs.LG,stat.ML?from=2025-08-01&to=2025-09-30&max=50   categories in a submission window

  pmc:PMC3460867,PMC3166277   PubMed Central open-access articles

  pmc-query:TERM?from=2023-04-01&to=2023-12-31&max=100   a PMC open-access search (TERM may be empty)

  openreview:NeurIPS.cc/2024/Conference?decision=oral,spotlight&max=100   accepted papers of a venue

Inputs that fail go to failures.jsonl with the reason; the run goes on. Re-running skips papers already in --out.
Every reader runs in a child process bounded in memory and time (limits.max_memory_bytes, limits.max_seconds in
--config); a second run into the same --out is refused. The command fails when every input failed.

Only CC-BY, CC-BY-SA, CC0 and public-domain papers are kept by default (--license to change);
local files of unknown license are kept.
"""


def _date(value: str | None, flag: str):
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise SciplanError(f"{flag} {value!r}: use YYYY-MM-DD") from None


class _RichProgress:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("ingest", total=0)
        self.counts = {"written": 0, "skipped": 0, "filtered": 0, "failed": 0}

    def found(self, n: int) -> None:
        task = self.progress.tasks[0]
        self.progress.update(self.task, total=(task.total or 0) + n)

    def done(self, outcome: str, label: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        c = self.counts
        self.progress.update(
            self.task, advance=1,
            description=f"{c['written']} new, {c['skipped']} skipped, {c['filtered']} filtered, "
                        f"{c['failed']} failed  [dim]{safe(label[-40:])}[/]",
        )


def ingest(
    inputs: list[str] = typer.Argument(..., help="Files, folders, or queries (see above).", show_default=False),
    out: Path = typer.Option(..., "--out", "-o", help="papers.jsonl to append to (e.g. runs/NAME/papers.jsonl)."),
    failures: Path | None = typer.Option(
        None, "--failures", help="Where failed inputs go (default: failures.jsonl beside --out)."),
    config: Path | None = typer.Option(None, "--config", "-c", help="YAML IngestConfig (filters, limits, sources)."),
    from_date: str | None = typer.Option(None, "--from-date", help="Keep papers dated on/after YYYY-MM-DD."),
    to_date: str | None = typer.Option(None, "--to-date", help="Keep papers dated on/before YYYY-MM-DD."),
    domain: list[str] | None = typer.Option(
        None, "--domain",
        help="Keep only this domain (repeatable): physics, math, statistics, cs, economics, eess, q-fin, q-bio, "
             "medical, ml."),
    license: list[str] | None = typer.Option(None, "--license", help="Allowed license family (repeatable), "
                                                "e.g. CC-BY, CC-BY-SA, CC0, public-domain, CC-BY-NC."),
    allow_unknown_license: bool = typer.Option(False, "--allow-unknown-license",
                                               help="Keep source papers whose license is unknown."),
    contact: str | None = typer.Option(None, "--contact", help="E-mail put in the User-Agent for arXiv/NCBI."),
) -> None:
    # Imported here so that other commands do not pay for loading the readers.
    from sciplan.config import load_config
    from sciplan.papers import IngestConfig, PaperFilter
    from sciplan.papers import ingest as run_ingest

    cfg = load_config(config, IngestConfig) if config else IngestConfig()
    overrides = {}
    if from_date:
        overrides["from_date"] = _date(from_date, "--from-date")
    if to_date:
        overrides["to_date"] = _date(to_date, "--to-date")
    if domain:
        overrides["domains"] = domain
    if license:
        overrides["licenses"] = license
    if allow_unknown_license:
        overrides["allow_unknown_license"] = True
    try:
        cfg.filters = PaperFilter.model_validate({**cfg.filters.model_dump(), **overrides})
    except ValueError as exc:
        raise SciplanError(f"invalid filter options: {exc}") from None
    if contact:
        cfg.sources.http.contact = contact

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        summary = run_ingest(inputs, out, failures=failures, config=cfg, progress=_RichProgress(bar))
    console.print(
        f"[bold]ingest[/]: {summary.written} written, {summary.skipped} skipped (already there), "
        f"{summary.filtered} filtered, {summary.failed} failed in {summary.seconds:.1f}s"
    )
    console.print(f"  papers:   {safe(str(summary.out))}")
    if summary.failed:
        console.print(f"  failures: {safe(str(summary.failures))}")
    for reason in summary.filtered_reasons[:5]:
        console.print(f"  [dim]filtered: {safe(reason)}[/]")
    if len(summary.filtered_reasons) > 5:
        console.print(f"  [dim]... and {len(summary.filtered_reasons) - 5} more filtered[/]")
    if summary.failed and not (summary.written or summary.skipped or summary.filtered):
        raise SciplanError(f"every input failed ({summary.failed}); the reasons are in {summary.failures}")


ingest.__doc__ = HELP
