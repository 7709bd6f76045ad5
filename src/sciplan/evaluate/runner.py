"""Run an evaluation: plans from every model, grades from every judge, then tables and report.

    out/plans.jsonl      every model's plans (resumed by plan id)
    out/grades.jsonl     every judge's grade of every plan (resumed by grade id)
    out/failures.jsonl   goals and plans that could not be used, with the reason
    out/config.json      the settings this run used
    out/tables/*.csv|json
    out/report.html

A rerun skips every plan and grade already written, so it makes no model call; the
response cache makes even a run over a deleted output folder free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sciplan.errors import SciplanError
from sciplan.evaluate.config import EvalConfig
from sciplan.evaluate.frames import EvalData
from sciplan.evaluate.humans import HumanLabels, human_agreement, load_human_labels
from sciplan.evaluate.pairwise import PairVerdict, judge_pairs, pairwise_table
from sciplan.evaluate.progress import Progress, RichProgress
from sciplan.evaluate.report import render_report, write_report
from sciplan.evaluate.tables import EvalTables, build_tables, ci_method, write_tables
from sciplan.grade import Grader, grade, guidelines_for, latest, pending
from sciplan.grade.listwise import ListwiseGrader, listwise_name
from sciplan.jsonl import JsonlReport, JsonlWriter, read_records
from sciplan.llm import get_model, stage
from sciplan.plan import plan_id, write_plans
from sciplan.records import Failure, Goal, Grade, Plan

__all__ = ["AUTHORS", "EvalResult", "analyse", "load_goals", "reference_plans", "run_eval", "select_goals"]

# The model name of the goals' reference solutions, graded like plans (`EvalConfig.references`).
AUTHORS = "paper authors"


@dataclass
class EvalResult:
    """What a run produced: the data, its tables, where they are, and what this run added."""

    out: Path
    config: EvalConfig
    data: EvalData
    tables: EvalTables
    report: Path
    table_files: list[Path]
    new_plans: int = 0
    new_grades: int = 0
    failures: int = 0


def load_goals(path: Path) -> list[Goal]:
    """Goals from a JSONL file; errors name the file (a missing file, or no valid goal in it)."""
    if not path.is_file():
        raise SciplanError(f"{path}: no such goals file")
    report = JsonlReport(path)
    goals = read_records(path, Goal, report)
    if not goals:
        first = f" (line {report.bad_lines[0][0]}: {report.bad_lines[0][1]})" if report.bad_lines else ""
        raise SciplanError(f"{path}: no valid goals (JSONL of records with id, text and rubric){first}")
    return goals


def select_goals(goals: Sequence[Goal], config: EvalConfig, failures: Path | None = None) -> list[Goal]:
    """The goals to evaluate: the configured split, with a rubric, each id once.

    A goal without a rubric cannot be graded: it is written to `failures` and left out.
    """
    seen: set[str] = set()
    out: list[Goal] = []
    bad: list[Failure] = []
    for g in goals:
        if config.split is not None and g.split != config.split:
            continue
        if g.id in seen:
            bad.append(Failure.of("eval", f"goal {g.id}", "goal id repeated; the first one is used"))
            continue
        seen.add(g.id)
        if not g.rubric:
            bad.append(Failure.of("eval", f"goal {g.id}", "goal has no rubric items to grade against"))
            continue
        out.append(g)
    if bad and failures is not None:
        with JsonlWriter(failures) as w:
            w.write_all(bad)
    if not out:
        which = f" of split {config.split!r}" if config.split else ""
        raise SciplanError(f"no goals{which} with a rubric to evaluate")
    return out


def reference_plans(goals: Sequence[Goal]) -> list[Plan]:
    """The goals' reference solutions as plans of the model "paper authors" (goals without one left out)."""
    return [
        Plan(id=plan_id(g.id, AUTHORS), goal_id=g.id, model=AUTHORS, text=g.reference, meta={"reference": True})
        for g in goals
        if g.reference and g.reference.strip()
    ]


def _judges(config: EvalConfig) -> list[Grader]:
    """The jury's graders, plan by plan, then the listwise judges (their grades named "MODEL [listwise]")."""
    settings = config.settings
    graders: list = [Grader(m, config.grader, settings=settings, stage_name="eval-grade") for m in config.jury]
    graders += [ListwiseGrader(m, config.listwise, settings=settings, stage_name="eval-grade")
                for m in config.listwise_jury]
    return graders


def judge_names(config: EvalConfig) -> set[str]:
    """The grader names of this evaluation's judges (listwise ones marked)."""
    return set(config.jury) | {listwise_name(m) for m in config.listwise_jury}


async def _generate(goals: list[Goal], config: EvalConfig, out: Path, progress: Progress) -> int:
    """Plans for every model × goal × sample not yet in `out/plans.jsonl`; returns how many were written."""
    models = [get_model(m, config.settings) for m in config.models]
    progress.start("plans", len(models) * len(goals) * config.samples)
    done = {p.id for p in read_records(out / "plans.jsonl", Plan)}
    progress.advance(
        "plans", sum(plan_id(g.id, m.name, k) in done for m in models for g in goals for k in range(config.samples))
    )

    async def one(model) -> int:
        written = await write_plans(
            model,
            goals,
            config.plan,
            out / "plans.jsonl",
            samples=config.samples,
            failures=out / "failures.jsonl",
            on_done=lambda _p: progress.advance("plans"),
        )
        return len(written)

    with stage("eval-plan"):
        counts = await asyncio.gather(*(one(m) for m in models))
    return sum(counts)


async def _grade(goals: list[Goal], plans: list[Plan], config: EvalConfig, out: Path, progress: Progress) -> int:
    """Every judge's grade of every plan not yet in `out/grades.jsonl`; returns how many were written."""
    judges = _judges(config)
    path = out / "grades.jsonl"
    done = {g.id for g in latest(read_records(path, Grade)) if not (config.retry_failed and g.failed)}
    total = len(judges) * len(plans)
    progress.start("grades", total)
    progress.advance("grades", total - sum(len(ps) for _, _, ps in pending(judges, plans, done)))
    # The batch grader groups plans by goal and judge, so a server's prefix cache
    # serves the judge's shared prompt (instructions, goal, rubric, reference).
    with JsonlWriter(path) as writer:
        grades = await grade(judges, goals, plans, done=done, on_grade=lambda _p, g: writer.write(g),
                             on_progress=lambda n: progress.advance("grades", n))
    return len(grades)


def _check_models(config: EvalConfig) -> None:
    """Fail now, naming the model, if a model or judge cannot be used (key, file, library)."""
    for spec in dict.fromkeys([*config.models, *config.jury, *config.listwise_jury, *config.pairwise]):
        get_model(spec, config.settings).check_ready()


async def run_eval(
    goals: Sequence[Goal], config: EvalConfig, out: Path, *, progress: Progress | None = None
) -> EvalResult:
    """Generate, grade and analyse; everything already in `out` is reused (a rerun makes no model call).

    `progress` gets the plan and grade counts as they go; None shows rich bars on stderr
    (pass `Silent()` to show nothing).
    """
    if progress is None:
        with RichProgress() as bars:
            return await run_eval(goals, config, out, progress=bars)
    # Bad inputs fail before any model call: labels, goals, then models and judges.
    human = load_human_labels(config.human_labels) if config.human_labels is not None else None
    out.mkdir(parents=True, exist_ok=True)
    chosen = select_goals(goals, config, out / "failures.jsonl")
    _check_models(config)
    (out / "config.json").write_text(config.model_dump_json(indent=1) + "\n", encoding="utf-8")
    new_plans = await _generate(chosen, config, out, progress)
    plans = _plans_for(out, chosen, config)
    new_grades = await _grade(chosen, plans, config, out, progress)
    if config.pairwise:
        await judge_pairs(chosen, plans, config, out)
    result = analyse(out, chosen, config, human=human)
    result.new_plans, result.new_grades = new_plans, new_grades
    return result


def _plans_for(out: Path, goals: list[Goal], config: EvalConfig) -> list[Plan]:
    """This run's plans (configured models, goals and samples) from `out/plans.jsonl`, plus the references."""
    want = {plan_id(g.id, m, k) for g in goals for m in config.models for k in range(config.samples)}
    plans = list({p.id: p for p in read_records(out / "plans.jsonl", Plan) if p.id in want}.values())
    return plans + (reference_plans(goals) if config.references else [])


def analyse(out: Path, goals: Sequence[Goal], config: EvalConfig, *, human: HumanLabels | None = None,
            metaeval: dict | None = None) -> EvalResult:
    """Tables and report from what `out` holds for these goals, models and judges (no model calls).

    `metaeval` (`sciplan.metaeval.section(...)`) adds the grader's metaeval section to the report.
    """
    plans = _plans_for(out, list(goals), config)
    judges = judge_names(config)
    grades = [g for g in read_records(out / "grades.jsonl", Grade) if g.grader in judges]
    data = EvalData.build(goals, plans, grades)
    guidelines = guidelines_for(config.grader)
    if human is None and config.human_labels is not None:
        human = load_human_labels(config.human_labels)
    models = list(config.models) + ([AUTHORS] if AUTHORS in data.models else [])
    tables = build_tables(
        data,
        models=models,
        baseline=config.baseline,
        stats=config.stats,
        guideline_ids=guidelines.ids,
        human_agreement=human_agreement(human, data) if human is not None else None,
    )
    if config.pairwise:
        verdicts = [v for v in read_records(out / "pairwise.jsonl", PairVerdict) if v.judge in config.pairwise]
        tables.pairwise = pairwise_table(verdicts, n_boot=config.stats.bootstrap, level=config.stats.level,
                                         seed=config.stats.seed, clusters=dict(zip(
                                             data.goals, data.clusters(list(data.goals)), strict=True)))
    files = write_tables(tables, out / "tables")
    html = render_report(
        data,
        tables,
        models=models,
        baseline=config.baseline or models[0],
        examples=config.examples,
        guideline_names={g.id: g.name for g in guidelines.guidelines},
        files=[str(p.relative_to(out)) for p in files],
        settings={"level": config.stats.level, "samples": config.samples, "ci_method": ci_method(config.stats)},
        metaeval=metaeval,
    )
    report = write_report(out / "report.html", html)
    failures = len({f.id for f in read_records(out / "failures.jsonl", Failure)})
    return EvalResult(
        out=out, config=config, data=data, tables=tables, report=report, table_files=files, failures=failures
    )
