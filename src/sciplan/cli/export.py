"""`sciplan export verl`: training data and reward for verl on Ray."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from sciplan.cli.console import console
from sciplan.cli.train import training_config

app = typer.Typer(help="Export training data for other engines (verl).", no_args_is_help=True)


@app.command("verl")
def verl(
    config: Path = typer.Option(
        ..., "--config", "-c", help="Training config (YAML) whose goals, grader and GRPO settings are exported."),
    out: Path = typer.Option(Path("verl"), "--out", "-o", help="Folder for the parquet files, reward module and command."),
    goals: list[Path] | None = typer.Option(None, "--goals", help="Goals JSONL (repeatable); default: the config's."),
    grader: str | None = typer.Option(None, "--grader", help="Grader model string, e.g. openai:Qwen/Qwen3-30B-A3B@http://grader:8000/v1."),
    gpus: int = typer.Option(8, "--gpus", min=1, help="GPUs per node (trainer.n_gpus_per_node)."),
    nodes: int = typer.Option(1, "--nodes", min=1, help="Nodes (trainer.nnodes)."),
    reward_url: str | None = typer.Option(
        None, "--reward-url", help="Grade through this `sciplan serve reward` (whole groups across verl's reward workers)."),
    reward_token_env: str | None = typer.Option(
        None, "--reward-token-env", help="Environment variable holding the service's bearer token."),
) -> None:
    """Write verl's parquet data, a reward module calling the sciplan grader, and the verl command."""
    from sciplan.train import export_verl  # heavy: only when the command runs

    cfg = training_config(config, goals)
    exp = export_verl(cfg, out, grader_model=grader, n_gpus_per_node=gpus, nnodes=nodes, reward_url=reward_url,
                      reward_token_env=reward_token_env)
    console.print(f"wrote {exp.train_rows} training and {exp.val_rows} validation goals to "
                  f"{escape(str(exp.train_file))} and {escape(str(exp.val_file))}", highlight=False)
    console.print(f"wrote the reward module {escape(str(exp.reward_module))} "
                  f"(settings: {escape(str(exp.reward_config))})", highlight=False)
    console.print(f"run verl with {escape(str(exp.out_dir / 'run_verl.sh'))}:", highlight=False)
    console.print(escape(exp.command), highlight=False, soft_wrap=True)
