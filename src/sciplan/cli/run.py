"""`sciplan run CONFIG`: the whole loop from one YAML, resumable, with a summary at the end."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import typer
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from sciplan.cli.console import console
from sciplan.errors import SciplanError
from sciplan.pipeline import STAGES, StageName, StageReport, load_pipeline_config, run_pipeline

__all__ = ["run", "summary_table", "print_outputs"]


def summary_table(reports: list[StageReport]) -> Table:
    """One row per stage: status, time, model calls, tokens and cost."""
    table = Table(title="Run summary", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("stage")
    table.add_column("status")
    for col in ("secs", "calls", "cached", "tok in", "tok out", "cost $"):
        table.add_column(col, justify="right")
    for r in reports:
        table.add_row(r.name, r.status, f"{r.seconds:.0f}", f"{r.calls:,}", f"{r.cached:,}",
                      f"{r.prompt_tokens:,}", f"{r.completion_tokens:,}", f"{r.cost:.4f}")
    return table


def print_outputs(reports: list[StageReport], run_dir: Path) -> None:
    """What each stage wrote, and its notes; model text is never read as markup."""
    for r in reports:
        for path, n in r.wrote.items():
            console.print(Text(f"{r.name}: wrote {run_dir / path} ({n})"))
        for note in r.notes:
            console.print(Text(f"{r.name}: {note}"))


def run(
    config: Path = typer.Argument(..., help="A pipeline YAML, e.g. configs/demo.yaml."),
    start: str = typer.Option(None, "--from", help=f"Start at this stage ({', '.join(STAGES)})."),
    until: str = typer.Option(None, "--until", help="Stop after this stage."),
    out: Path = typer.Option(None, "--out", help="The run folder (default: the config's `out`, else runs/NAME)."),
) -> None:
    """Run the stages CONFIG names in order; a rerun skips what is done (no repeated model calls)."""
    for bound in (start, until):
        if bound is not None and bound not in STAGES:
            raise SciplanError(f"unknown stage {bound!r}: choose from {', '.join(STAGES)}")
    cfg = load_pipeline_config(config, out=out)
    console.print(f"run [bold]{cfg.name}[/] -> {cfg.run_dir()}  (stages: {', '.join(cfg.stages())})")
    reports = run_pipeline(
        cfg, start=cast(StageName | None, start), until=cast(StageName | None, until), console=console,
        on_stage=lambda name: console.print(Rule(f"[bold]{name}")),
    )
    console.print(Rule())
    console.print(summary_table(reports))
    print_outputs(reports, cfg.run_dir())
    report = next((r.evaluate.report for r in reports if r.evaluate is not None), None)
    if report:
        console.print(f"\nreport: [bold]{report}[/]")
