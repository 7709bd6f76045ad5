"""`sciplan metaeval`: does a grader measure plan quality? Controlled corruptions, uplift, human agreement."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from sciplan.cli.common import NO_CACHE, RETRIES, TIMEOUT, model_settings, read_input, run_async
from sciplan.cli.console import console
from sciplan.errors import SciplanError
from sciplan.records import Goal


def _fmt(v: object) -> str:
    return "—" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def print_summary(result: dict) -> None:
    """The per-grader summary table and the plain verdict of each grader."""
    from sciplan.metaeval import verdict_of

    table = Table(title="Metaeval", title_justify="left", show_edge=False, pad_edge=False)
    cols = ("parse_rate", "accuracy_given_parse", "grader_auc", "removed_recall", "false_flip_rate",
            "consistency_sd", "calls", "cost_usd")
    table.add_column("grader", overflow="fold")
    for c in cols:
        table.add_column(c.replace("_", " "), justify="right")
    for name, figs in result["graders"].items():
        table.add_row(name, *(_fmt(figs["summary"].get(c)) for c in cols))
    console.print(table)
    for name, figs in result["graders"].items():
        console.print(verdict_of(name, figs["summary"]))


def metaeval(
    goals: Path = typer.Option(..., "--goals", help="JSONL of Goal records with reference solutions."),
    grader: str = typer.Option(None, "--grader", help="The grading model (default: the config's, else local:smollm2)."),
    jury: str = typer.Option(None, "--jury", help="Comma-separated grading models, each measured (instead of --grader)."),
    config: Path = typer.Option(None, "--config", help="Metaeval YAML (graders, grader protocol, families, seed)."),
    grading: Path = typer.Option(None, "--grading-config", help="Grading YAML whose `grader:` section is the protocol."),
    protocol: str | None = typer.Option(None, "--protocol", help="A named grading protocol (the grader config's "
                                        "`protocol:`), on top of the config."),
    out: Path = typer.Option(Path("runs/metaeval"), "--out", help="Folder for variants, grades, tables and report."),
    human_labels: Path | None = typer.Option(None, "--human-labels", help="Item labels (CSV/JSONL or a study's "
                                                "annotations.jsonl) of these variants: HealthBench-style agreement."),
    seed: int | None = typer.Option(None, "--seed"),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N goals with a reference."),
    no_cache: bool = NO_CACHE,
    timeout: float = TIMEOUT,
    retries: int = RETRIES,
) -> None:
    """Grade controlled variants of each goal's reference and report how well each grader tells them apart."""
    from pydantic import ValidationError

    from sciplan.grade import GraderConfig, load_grading_config
    from sciplan.metaeval import load_metaeval_config, run_metaeval

    graders = [s.strip() for s in jury.split(",") if s.strip()] if jury else ([grader] if grader else None)
    if jury is not None and not graders:
        raise SciplanError("--jury names no model")
    cfg = load_metaeval_config(config, graders=graders, seed=seed, limit=limit)
    if grading is not None:
        cfg.grader = load_grading_config(grading).grader
    if protocol is not None:
        try:
            cfg.grader = GraderConfig.model_validate({**cfg.grader.model_dump(exclude_unset=True), "protocol": protocol})
        except ValidationError as exc:
            raise SciplanError(f"--protocol {protocol}: {exc.errors()[0]['msg']}") from None
    base = model_settings(no_cache=no_cache, timeout=timeout, retries=retries)
    cfg.settings = base.model_copy(update=cfg.settings.model_dump(exclude_unset=True))
    goal_list = read_input(goals, Goal, "goals")
    result = run_async(run_metaeval(goal_list, cfg, out))
    if human_labels is not None:
        result["human"] = _human(human_labels, goal_list, out)
        (out / "metaeval.json").write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print_summary(result)
    console.print(f"wrote {escape(str(out / 'metaeval.json'))}, CSV tables and {escape(str(out / 'metaeval.html'))}")


def _human(path: Path, goals: list[Goal], out: Path) -> dict:
    from sciplan.evaluate import EvalData, load_human_labels
    from sciplan.jsonl import read_records
    from sciplan.metaeval.humans import item_agreement
    from sciplan.records import Grade, Plan

    labels = load_human_labels(path)
    plans = read_records(out / "variants.jsonl", Plan)
    grades = [g for g in read_records(out / "grades.jsonl", Grade) if g.meta.get("scanner", True)
              and not g.meta.get("seed")]
    agreement = item_agreement(labels, EvalData.build(goals, plans, grades))
    for row in agreement["judges"]:
        console.print(f"{escape(row['judge'])} vs annotators' majority: macro F1 {_fmt(row['macro_f1'])}, "
                      f"kappa {_fmt(row['kappa'])} over {row['n']} item(s) ({row['split_units']} split apart)")
    if agreement["band"]:
        b = agreement["band"]
        console.print(f"human band (each annotator vs the others): macro F1 {b['min']:.3f}-{b['max']:.3f}")
    return agreement
