"""`sciplan grade`: grade plans against their goals' rubrics; writes `grades.jsonl`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sciplan.cli.common import NO_CACHE, RETRIES, TIMEOUT, model_settings, read_input, run_async
from sciplan.cli.console import console
from sciplan.errors import SciplanError
from sciplan.grade import (
    PROTOCOLS,
    Grader,
    GraderConfig,
    GradingConfig,
    GuidelineSet,
    latest,
    load_grading_config,
    pending,
    reward_plan,
    summarize,
)
from sciplan.grade import grade as grade_plans
from sciplan.jsonl import JsonlWriter, read_records
from sciplan.llm import DEFAULT_MODEL, get_model, ledger
from sciplan.records import Failure, Goal, Grade, Plan


async def grade_all(
    graders: Sequence[Grader], goals: dict[str, Goal], plans: Sequence[Plan], config: GradingConfig,
    out: Path, done: set[str], progress: Progress | None = None,
) -> int:
    """Grade every plan with every grader (skipping ids in `done`) through the batch
    grader, appending each grade with its reward to `out`; return how many were written."""
    task = progress.add_task("grading", total=sum(len(ps) for _, _, ps in pending(graders, plans, done))) if progress else None
    with JsonlWriter(out) as writer:
        grades = await grade_plans(
            graders, goals, plans, done=done,
            on_grade=lambda plan, g: writer.write(reward_plan(plan, g, config.reward)),
            on_progress=(lambda n: progress.advance(task, n)) if progress and task is not None else None,
        )
    return len(grades)


def summary_tables(grades: list[Grade], guidelines: GuidelineSet) -> list[Table]:
    """Per grader: mean score, failures, flags and cost; then violation rates per guideline."""
    summaries = summarize(grades, guidelines.ids)
    table = Table(title="Grades", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("grader", overflow="fold")
    # Failed grades both ways: left out of the mean, and counted as 0.
    for col in ("plans", "failed", "injection", "mean score", "score, failed as 0", "mean reward",
                "reward, failed as 0", "cost $"):
        table.add_column(col, justify="right")
    cost = {r.model: r.cost for r in ledger.rows() if r.stage == "grade"}
    for s in summaries:
        cells = [s.grader, str(s.grades), str(s.failed), str(s.flagged)]
        cells += [f"{v:.3f}" if v is not None else "—"
                  for v in (s.score.mean, s.score.mean_as_zero, s.reward.mean, s.reward.mean_as_zero)]
        table.add_row(*cells, f"{cost.get(s.grader, 0.0):.4f}")
    tables = [table]
    failing = [s for s in summaries if s.score.reasons]
    if failing:
        why = Table(title="Why grades failed (commonest reasons)", title_justify="left", show_edge=False, pad_edge=False)
        for col in ("grader", "reason", "grades"):
            why.add_column(col, overflow="fold")
        for s in failing:
            for reason, n in s.score.reasons:
                why.add_row(s.grader, escape(reason), str(n))
        tables.append(why)
    rated = [s for s in summaries if s.violation_rates]
    if rated:
        rates = Table(title="Rubric items violating each guideline", title_justify="left", show_edge=False, pad_edge=False)
        rates.add_column("guideline")
        for s in rated:
            rates.add_column(s.grader, justify="right", overflow="fold")
        for g in guidelines.guidelines:
            rates.add_row(f"{g.id} {g.name}", *(f"{s.violation_rates[g.id]:.0%}" for s in rated))
        tables.append(rates)
    return tables


def grade(
    goals: Path = typer.Option(..., "--goals", help="JSONL of Goal records (with rubrics)."),
    plans: Path = typer.Option(..., "--plans", help="JSONL of Plan records to grade."),
    grader: str = typer.Option(DEFAULT_MODEL, "--grader", help="The grading model, e.g. openai:NAME@http://HOST:PORT/v1."),
    jury: str = typer.Option(None, "--jury", help="Comma-separated models: each grades every plan (instead of --grader)."),
    out: Path = typer.Option(None, "--out", help="Where grades go (default: grades.jsonl beside --plans)."),
    config: Path = typer.Option(None, "--config", help="YAML with `grader:` and `reward:` sections (overrides --protocol)."),
    protocol: str = typer.Option("paper", "--protocol", help=f"Grading protocol without --config: {', '.join(PROTOCOLS)}."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Grade again plans whose grade failed before."),
    no_cache: bool = NO_CACHE,
    timeout: float = TIMEOUT,
    retries: int = RETRIES,
) -> None:
    """Grade PLANS against their goals' rubrics and the general guidelines (resumable)."""
    if config is None and protocol not in PROTOCOLS:
        raise SciplanError(f"--protocol {protocol!r}: known protocols are {', '.join(PROTOCOLS)}")
    cfg = load_grading_config(config) if config is not None else GradingConfig(grader=GraderConfig(protocol=protocol))
    if cfg.reward.length_unit == "tokens":
        raise SciplanError(f"{config}: the grade command counts plan length in words; set reward.length_unit: words")
    goal_list = read_input(goals, Goal, "goals")
    plan_list = read_input(plans, Plan, "plans")
    out = out or plans.with_name("grades.jsonl")
    models = [m.strip() for m in (jury.split(",") if jury else [grader]) if m.strip()]
    if not models:
        raise SciplanError("--jury names no model")
    settings = model_settings(no_cache=no_cache, timeout=timeout, retries=retries)
    graders = []
    for spec in dict.fromkeys(models):
        model = get_model(spec, settings)
        model.check_ready()
        graders.append(Grader(model, cfg.grader))

    by_id = {g.id: g for g in goal_list}
    orphans = [p for p in plan_list if p.goal_id not in by_id]
    if orphans:
        with JsonlWriter(out.with_name("failures.jsonl")) as failed:
            for p in orphans:
                failed.write(Failure.of("grade", f"plan {p.id}", f"goal {p.goal_id} is not in {goals}"))
        console.print(f"[yellow]{len(orphans)} plan(s) name a goal not in {escape(str(goals))}: "
                      f"skipped, listed in {escape(str(out.with_name('failures.jsonl')))}[/]")
    todo = [p for p in plan_list if p.goal_id in by_id]
    before = latest(read_records(out, Grade)) if out.exists() else []
    done = {g.id for g in before if not (retry_failed and g.failed)}

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        n = run_async(grade_all(graders, by_id, todo, cfg, out, done, progress))

    ids = {gr.grade_id_for(p) for gr in graders for p in todo}
    grades = [g for g in latest(read_records(out, Grade)) if g.id in ids]
    for table in summary_tables(grades, graders[0].guidelines):
        console.print(table)
    console.print(f"wrote {n} grade(s) to {escape(str(out))} ({len(ids) - n} already there)")
