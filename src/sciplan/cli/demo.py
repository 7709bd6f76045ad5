"""`sciplan demo`: the loop on the embedded default model, as far as it is built."""

from __future__ import annotations

import typer
from rich.panel import Panel
from rich.text import Text

from sciplan.cli.common import run_async
from sciplan.cli.console import console
from sciplan.data import demo_goals
from sciplan.llm import DEFAULT_MODEL, ModelSettings, get_model, stage
from sciplan.plan import PlanConfig, write_plan


def demo(
    model: str = typer.Option(DEFAULT_MODEL, "--model", help="The model that writes the plan."),
    max_tokens: int = typer.Option(400, "--max-tokens"),
    no_cache: bool = typer.Option(False, "--no-cache"),
) -> None:
    """Write a research plan for a shipped goal with the default model and print it."""
    goal = demo_goals()[0]
    console.print(Panel(Text(goal.text), title=f"goal {goal.id} ({goal.domain})", border_style="green"))
    m = get_model(model, ModelSettings(cache=not no_cache))
    m.check_ready()
    with stage("plan"), console.status(f"writing a plan with {model} ..."):
        plan = run_async(write_plan(m, goal, PlanConfig(max_tokens=max_tokens)))
    console.print(Panel(Text(plan.text or "(empty plan)"), title=f"plan by {plan.model}", border_style="cyan"))
    console.print(f"plan: {plan.tokens} tokens, finish: {plan.finish_reason}, format ok: {plan.format_ok}")
