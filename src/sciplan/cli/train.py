"""`sciplan train`: GRPO (or the SFT baseline) from a training config; resumable, idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from sciplan.cli.console import console
from sciplan.errors import SciplanError

if TYPE_CHECKING:
    from sciplan.train import TrainConfig, TrainResult


def _fmt(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "—"


def result_table(result: TrainResult) -> Table:
    """Held-out reward of the initial and trained policy, the best step, and what was written."""
    table = Table(title="Training", title_justify="left", show_edge=False, pad_edge=False, show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    before, after, best = result.before, result.after, result.best
    table.add_row("steps", str(result.steps) + (" (already trained: nothing to do)" if result.skipped else ""))
    table.add_row("held-out reward before", _fmt(before.reward if before else None))
    table.add_row("held-out reward after", _fmt(after.reward if after else None))
    if best is not None:
        table.add_row("best checkpoint", f"step {best.step} (reward {_fmt(best.reward)}, score {_fmt(best.score)})")
    if result.timings:
        steps = result.timings
        share = sum(t["grading"] for t in steps) / max(1e-9, sum(t["total"] for t in steps))
        table.add_row("seconds per step", f"{sum(t['total'] for t in steps) / len(steps):.1f} (grading {share:.0%})")
    table.add_row("final model", escape(result.model_spec or "—"))
    if result.best_dir is not None:
        table.add_row("best model", escape(f"hf:{result.best_dir}"))
    table.add_row("folder", escape(str(result.output_dir)))
    return table


def training_config(config: Path, goals: list[Path] | None = None, validation: list[Path] | None = None) -> TrainConfig:
    """The training config a command runs: the file, with the goal files given on the command line."""
    from sciplan.train import load_train_config  # torch and TRL

    if not config.is_file():
        raise SciplanError(f"{config}: no such training config")
    cfg = load_train_config(config)
    if goals:
        cfg.goals.train = list(goals)
    if validation:
        cfg.goals.validation = list(validation)
    return cfg


def train(
    config: Path = typer.Option(..., "--config", "-c", help="Training config (YAML), e.g. configs/train/demo.yaml."),
    goals: list[Path] | None = typer.Option(None, "--goals", help="Goals JSONL to train on (repeatable); default: the config's."),
    validation: list[Path] | None = typer.Option(None, "--validation", help="Held-out goals JSONL (repeatable)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (default: the config's, or runs/RUN/train)."),
    steps: int | None = typer.Option(None, "--steps", min=1, help="Optimiser steps (overrides the config)."),
    fresh: bool = typer.Option(False, "--fresh", help="Delete earlier checkpoints in the output folder and start over."),
) -> None:
    """Train a plan generator with GRPO on the rubric reward (or the SFT baseline); resumes when interrupted."""
    # Imported here: torch, transformers and TRL take seconds to import, other commands need none of them.
    from sciplan.train import run_training
    from sciplan.train.ranks import is_main

    if not is_main():  # under accelerate/torchrun the main process reports for the run
        console.quiet = True
    cfg = training_config(config, goals, validation)
    if out is not None:
        cfg.output_dir = out
    if steps is not None:
        cfg.steps = steps
    console.print(f"training [bold]{cfg.method}[/] on {escape(cfg.policy.model)} for {cfg.steps} step(s) "
                  f"→ {escape(str(cfg.resolved_output_dir()))}", highlight=False)
    result = run_training(cfg, console=console, fresh=fresh)
    console.print(result_table(result))
    for alert in result.alerts:
        console.print(f"[yellow]reward-hacking monitor {alert.monitor} at step {alert.step}: {escape(alert.message)}[/]")
    if not result.skipped:
        console.print(f"wrote checkpoints, metrics (metrics.jsonl, tensorboard/), validation.jsonl and summary.json "
                      f"to {escape(str(result.output_dir))}", highlight=False)
