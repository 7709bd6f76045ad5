"""`sciplan plan MODEL "goal"`: the co-scientist itself — a research plan for a goal."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from sciplan.cli.common import NO_CACHE, RETRIES, TIMEOUT, model_settings, run_async
from sciplan.cli.console import console
from sciplan.config import load_config
from sciplan.errors import SciplanError
from sciplan.jsonl import JsonlReport, read_records
from sciplan.llm import get_model, stage
from sciplan.plan import PlanConfig, write_plan, write_plans
from sciplan.records import Goal, Plan, make_id

__all__ = ["plan", "goal_from_text", "show_plan"]


def goal_from_text(text: str) -> Goal:
    """A `Goal` record for a goal typed on the command line (no rubric)."""
    text = text.strip()
    if not text:
        raise SciplanError("the goal text is empty")
    return Goal(id=make_id("goal-text", text), text=text)


def show_plan(goal: Goal, plan: Plan, *, show_thinking: bool = True) -> None:
    """The goal, the thinking (dim) and the plan, as panels; model text is never markup."""
    console.print(Panel(Text(goal.text), title=f"goal {goal.id}", border_style="green"))
    if plan.thinking and show_thinking:
        console.print(Panel(Text(plan.thinking, style="dim"), title="thinking", border_style="dim"))
    console.print(Panel(Text(plan.text or "(empty plan)"), title=f"plan by {plan.model}", border_style="cyan"))
    ok = "[green]ok[/]" if plan.format_ok else "[red]not ok[/] (empty plan or unterminated thinking)"
    console.print(f"{plan.tokens} tokens, finish: {plan.finish_reason}, format {ok}")


def _plan_config(config: Path | None, think: bool | None, max_words: int | None, max_tokens: int | None,
                 temperature: float | None, seed: int | None) -> PlanConfig:
    """The YAML config (if any) with the command-line options on top."""
    given = {"think": think, "max_words": max_words, "max_tokens": max_tokens, "temperature": temperature, "seed": seed}
    if config is not None:
        return load_config(config, PlanConfig, **given)
    return PlanConfig.model_validate({k: v for k, v in given.items() if v is not None})


def plan(
    model: str = typer.Argument(..., help="Model string, e.g. local:smollm2, hf:runs/demo/train/final, openai:NAME@URL."),
    goal: str = typer.Argument(None, help="The research goal (or use --goals)."),
    goals: Path = typer.Option(None, "--goals", "-g", help="A JSONL file of Goal records: one plan per goal."),
    out: Path = typer.Option(None, "--out", "-o", help="Append Plan records here (resumable); default: print."),
    config: Path = typer.Option(None, "--config", "-c", help="YAML with PlanConfig fields (think, max_words, ...)."),
    think: bool = typer.Option(None, "--think/--no-think", help="Ask for <think>…</think> before the plan."),
    max_words: int = typer.Option(None, "--max-words", help="The plan length the prompt asks for."),
    max_tokens: int = typer.Option(None, "--max-tokens"),
    temperature: float = typer.Option(None, "--temperature", "-t"),
    seed: int = typer.Option(None, "--seed"),
    samples: int = typer.Option(1, "--samples", "-n", help="Plans per goal."),
    hide_thinking: bool = typer.Option(False, "--hide-thinking"),
    no_cache: bool = NO_CACHE,
    timeout: float = TIMEOUT,
    retries: int = RETRIES,
) -> None:
    """Write a research plan for GOAL (or for every goal in --goals) with MODEL."""
    if (goal is None) == (goals is None):
        raise SciplanError('give one goal text or --goals FILE, e.g. sciplan plan local:smollm2 "Test whether ..."')
    cfg = _plan_config(config, think, max_words, max_tokens, temperature, seed)
    if goals is not None:
        if not goals.is_file():
            raise SciplanError(f"{goals}: no such goals file")
        report = JsonlReport(goals)
        todo = read_records(goals, Goal, report)
        if not report.clean:
            console.print(f"[yellow]{goals}: skipped {len(report.bad_lines) + report.torn_tail} unreadable line(s)[/]")
        if not todo:
            raise SciplanError(f"{goals}: no goals to plan for")
    else:
        todo = [goal_from_text(goal)]
    m = get_model(model, model_settings(no_cache=no_cache, timeout=timeout, retries=retries))
    m.check_ready()
    if out is None and len(todo) * samples == 1:
        with stage("plan"), console.status(f"writing a plan with {model} ..."):
            p = run_async(write_plan(m, todo[0], cfg))
        show_plan(todo[0], p, show_thinking=not hide_thinking)
        return
    target = out or Path("plans.jsonl")
    columns = (TextColumn("[bold]plans"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar, stage("plan"):
        task = bar.add_task("plan", total=len(todo) * samples)
        written = run_async(
            write_plans(m, todo, cfg, target, samples=samples, on_done=lambda _p: bar.advance(task))
        )
    console.print(f"wrote [bold]{len(written)}[/] plan(s) to {target} "
                  f"({len(todo) * samples - len(written)} already there or failed; failures in "
                  f"{target.with_name('failures.jsonl')})")
