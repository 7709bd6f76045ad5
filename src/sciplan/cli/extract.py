"""`sciplan extract`: papers.jsonl -> goals.jsonl with the sample creator and selector (resumable)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from sciplan.cli.common import read_input
from sciplan.cli.console import console
from sciplan.errors import SciplanError
from sciplan.records import Paper

HELP = """Extract research goals with rubrics from PAPERS (a papers.jsonl written by `sciplan ingest`).

The creator proposes up to 3 (goal, rubric, reference) candidates per paper; the selector keeps
the best 10 rubric items, checks goal and rubric quality, grades the reference like a plan and
keeps the best candidate; the leakage check and the duplicate check follow.

Writes --out (goals.jsonl) and beside it candidates.jsonl, duplicates.jsonl, failures.jsonl and
extract_log.jsonl. Re-running skips papers already done (no model call); --retry-failed retries
papers that failed or yielded nothing. configs/extract/demo.yaml sizes everything for the bundled model.
"""


def extract(
    papers: Path = typer.Argument(..., help="papers.jsonl of Paper records.", show_default=False),
    out: Path = typer.Option(Path("goals.jsonl"), "--out", "-o", help="Where goals go (JSONL)."),
    creator: str | None = typer.Option(None, "--creator", help="The creator model (default: the config's)."),
    selector: str | None = typer.Option(None, "--selector", help="The selector model (default: the creator)."),
    config: Path | None = typer.Option(None, "--config", "-c", help="YAML ExtractConfig."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Use only the first N papers."),
    leakage_aware: bool = typer.Option(False, "--leakage-aware",
                                       help="Goal from background/introduction, rubric from method/experiments."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Retry papers that failed or were rejected."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the response cache."),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds one request may take."),
    retries: int | None = typer.Option(None, "--retries",
                                          help="Retries on 429, 5xx, timeouts, dropped connections."),
) -> None:
    # Imported here so that other commands do not pay for loading the stage.
    from sciplan.extract import load_extract_config, run_extract

    cfg = load_extract_config(config)
    if creator:
        cfg.creator.model = creator
    if selector:
        cfg.selector.model = selector
    if leakage_aware:
        cfg.creator.leakage_aware = True
    if retry_failed:
        cfg.retry_failed = True
    updates = {"cache": False if no_cache else None, "timeout": timeout, "max_retries": retries}
    cfg.settings = cfg.settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    paper_list = read_input(papers, Paper, "papers")[:limit]
    if out.suffix != ".jsonl":
        raise SciplanError(f"--out {out}: give a .jsonl file (export other formats with `sciplan dataset export`)")
    console.print(f"extracting goals from {len(paper_list)} paper(s) with creator {escape(cfg.creator.model)}, "
                  f"selector {escape(cfg.selector.model or cfg.creator.model)}")
    run_extract(paper_list, cfg, out.parent, goals_name=out.name, progress=True)


extract.__doc__ = HELP
