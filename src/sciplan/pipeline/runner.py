"""Run the loop's stages in order, each skipping what is already done.

A stage that finishes writes `stages/NAME.json` (what it wrote, took and cost, and a
fingerprint of its settings and inputs). A rerun skips a stage whose marker matches;
a stage killed half-way has no marker and runs again, and its own resume by record id
(papers, goals, plans, grades, checkpoints) skips every record already written, so a
killed run started again ends with the same files and no repeated model calls.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from sciplan.config import load_yaml
from sciplan.data import data_path, read_goals
from sciplan.errors import SciplanError
from sciplan.evaluate import ALL, JURY, load_eval_config, run_eval
from sciplan.extract import load_extract_config, run_extract
from sciplan.jsonl import read_records
from sciplan.llm import close_models
from sciplan.llm.accounting import Spend, usage_scope
from sciplan.papers import ingest
from sciplan.pipeline.config import STAGES, PipelineConfig, StageName
from sciplan.records import Goal, Paper
from sciplan.rundir import RunDir

__all__ = ["EvalOutput", "MetaevalOutput", "StageReport", "TrainOutput", "run_pipeline", "stage_marker", "select_stages",
           "check_stage_configs"]


class TrainOutput(BaseModel):
    """What the train stage hands on: the trained model (a model string evaluation can load)."""

    model: str
    steps: int
    # Held-out mean reward before and after training, when validation ran.
    before: float | None = None
    after: float | None = None


class EvalOutput(BaseModel):
    """What the evaluate stage produced: the report and each model's jury mean score."""

    report: str
    scores: dict[str, float] = Field(default_factory=dict)


class MetaevalOutput(BaseModel):
    """What the metaeval stage produced: its figures file and each grader's AUC (None: no contrast)."""

    figures: str
    grader_auc: dict[str, float | None] = Field(default_factory=dict)


class StageReport(Spend):
    """What one stage did: files written (path -> records), time, and what it cost (the `Spend` fields)."""

    name: str
    status: str  # "ran", "done earlier"
    wrote: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0
    fingerprint: str = ""
    train: TrainOutput | None = None
    evaluate: EvalOutput | None = None
    metaeval: MetaevalOutput | None = None


def stage_marker(out: Path, name: str) -> Path:
    """The file that says stage `name` of the run in `out` finished."""
    return RunDir(out).stage_marker(name)


def select_stages(config: PipelineConfig, start: StageName | None, until: StageName | None) -> list[StageName]:
    """The configured stages from `start` to `until` (inclusive)."""
    names = config.stages()
    for bound in (start, until):
        if bound is not None and bound not in names:
            raise SciplanError(f"stage {bound!r} is not in this config (it has: {', '.join(names)})")
    lo = names.index(start) if start else 0
    hi = names.index(until) if until else len(names) - 1
    if lo > hi:
        raise SciplanError(f"--from {start} comes after --until {until}")
    return names[lo : hi + 1]


def _count_lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "-"


def _fingerprint(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class _Context:
    """The run folder, the stage configs (each loaded once) and what earlier stages handed on."""

    def __init__(self, config: PipelineConfig, console: Any) -> None:
        self.config = config
        self.out = config.run_dir()
        self.run = RunDir(self.out)
        self.console = console
        # Reports of the stages finished so far (this run, or an earlier one's markers).
        self.reports: dict[str, StageReport] = {}

    @cached_property
    def extract_config(self) -> Any:
        """The extract step's config file, loaded once."""
        assert self.config.extract is not None
        return load_extract_config(self.config.extract.config)

    @cached_property
    def train_file(self) -> Any:
        """The train step's config file, loaded once."""
        from sciplan.train import load_train_config  # torch and TRL: only when a train step exists

        assert self.config.train is not None
        return load_train_config(self.config.train.config)

    @property
    def train_config(self) -> Any:
        """The training config pointed at this run's goals (as extracted so far) and folder."""
        step = self.config.train
        assert step is not None
        cfg = self.train_file.model_copy(deep=True)
        files: list[Path] = []
        if step.extracted_goals and _count_lines(self.goals):
            files.append(self.goals)
        if step.shipped_goals or not files:
            # Nothing extracted (or asked for): the shipped goals keep the loop going.
            files.append(data_path("train_goals.jsonl"))
        cfg.goals.train = files
        cfg.output_dir = self.train_dir
        cfg.run = self.config.name
        return cfg

    def trained(self) -> TrainOutput:
        """The train stage's output, from this run or the marker an earlier run left."""
        report = self.reports.get("train")
        if report is None:
            marker = stage_marker(self.out, "train")
            report = StageReport.model_validate_json(marker.read_text()) if marker.is_file() else None
        if report is None or report.train is None:
            raise SciplanError(f"no trained model in {self.train_dir}: run the train stage first")
        return report.train

    @property
    def papers(self) -> Path:
        return self.run.papers

    @property
    def goals(self) -> Path:
        return self.run.goals

    @property
    def train_dir(self) -> Path:
        return self.out / "train"

    @property
    def eval_dir(self) -> Path:
        return self.out / "eval"

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.out))
        except ValueError:
            return str(path)


# -- the stages ----------------------------------------------------------------------


def _ingest(ctx: _Context, report: StageReport) -> None:
    step = ctx.config.ingest
    assert step is not None
    summary = ingest(step.inputs, ctx.papers, config=step.settings)
    report.wrote = {ctx.rel(ctx.papers): _count_lines(ctx.papers), ctx.rel(summary.failures): summary.failed}
    report.notes.append(f"{summary.written} new, {summary.skipped} already there, "
                        f"{summary.filtered} filtered, {summary.failed} failed")
    if _count_lines(ctx.papers) == 0:
        raise SciplanError(f"ingest wrote no papers from {', '.join(step.inputs)} (see {summary.failures})")


def _ingest_key(ctx: _Context) -> list[Any]:
    step = ctx.config.ingest
    assert step is not None
    files: list[Any] = []
    for i in step.inputs:
        p = Path(i)
        if p.is_dir():
            files += [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(p.rglob("*")) if f.is_file()]
        elif p.exists():
            files.append((str(p), p.stat().st_size, p.stat().st_mtime_ns))
        else:
            files.append(i)
    return [step.model_dump(mode="json"), files]


def _extract(ctx: _Context, report: StageReport) -> None:
    step = ctx.config.extract
    assert step is not None
    papers = read_records(ctx.papers, Paper)
    if step.limit:
        papers = papers[: step.limit]
    if not papers:
        raise SciplanError(f"{ctx.papers}: no papers to extract goals from (run the ingest stage)")
    result = run_extract(papers, ctx.extract_config, ctx.goals.parent)
    report.wrote = {ctx.rel(ctx.goals): _count_lines(ctx.goals),
                    ctx.rel(result.paths.failures): _count_lines(result.paths.failures)}
    report.notes.append(f"{result.accepted} accepted, {result.rejected} rejected, "
                        f"{result.duplicates} duplicates, {result.failed} failed of {len(papers)} papers")


def _train(ctx: _Context, report: StageReport) -> None:
    from sciplan.train import run_training  # torch and TRL

    result = run_training(ctx.train_config, console=ctx.console)
    if result.final_dir is None:
        raise SciplanError(f"training in {ctx.train_dir} ended without a final model")
    report.wrote = {ctx.rel(result.final_dir): result.steps}
    report.train = TrainOutput(model=result.model_spec, steps=result.steps)
    before, after = result.before, result.after
    if before is not None and after is not None:
        report.train.before, report.train.after = before.reward, after.reward
        report.notes.append(f"held-out mean reward {_fmt(before.reward)} before -> {_fmt(after.reward)} after "
                            f"{result.steps} steps")
    for alert in result.alerts:
        report.notes.append(f"monitor warning: {alert.message}")


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _eval_models(ctx: _Context, models: list[str]) -> list[str]:
    specs = []
    for m in models:
        if m in ("initial", "trained"):
            if ctx.config.train is None:
                raise SciplanError(f"evaluate model {m!r} needs a train stage in the config")
            if m == "initial":
                from sciplan.train.policy import initial_policy_spec

                specs.append(initial_policy_spec(ctx.train_config.policy.model))
            else:
                specs.append(ctx.trained().model)
        else:
            specs.append(m)
    return specs


def _eval_goals(ctx: _Context) -> list[Goal]:
    step = ctx.config.evaluate
    assert step is not None
    if isinstance(step.goals, Path):
        return read_goals(step.goals)
    if step.goals == "heldout" and ctx.config.train is not None:
        from sciplan.train import split_goals

        held = split_goals(ctx.train_config.goals).validation
        if held:
            return held
    return read_records(ctx.goals, Goal)


def _evaluate(ctx: _Context, report: StageReport) -> None:
    step = ctx.config.evaluate
    assert step is not None
    overrides: dict[str, Any] = {}
    if step.models:
        models = _eval_models(ctx, step.models)
        overrides = {"models": models, "baseline": models[0]}
    cfg = load_eval_config(step.config, **overrides)
    goals = _eval_goals(ctx)
    if not goals:
        raise SciplanError("no goals to evaluate on (no held-out goals and no extracted goals)")
    # The goals are chosen here; the eval config's split filter would drop extracted ones.
    cfg.split = None
    result = asyncio.run(_eval_and_close(run_eval(goals, cfg, ctx.eval_dir)))
    report.wrote = {ctx.rel(result.report): 1, ctx.rel(ctx.eval_dir / "plans.jsonl"): _count_lines(ctx.eval_dir / "plans.jsonl"),
                    ctx.rel(ctx.eval_dir / "grades.jsonl"): _count_lines(ctx.eval_dir / "grades.jsonl")}
    report.evaluate = out = EvalOutput(report=str(result.report))
    s = result.tables.scores
    report.notes.append(f"{len(goals)} goals x {len(cfg.models)} models x {len(cfg.jury)} judge(s); "
                        f"report: {result.report}")
    for _, row in s[(s.judge == JURY) & (s.domain == ALL)].iterrows():
        out.scores[row["model"]] = row["mean"]
        report.notes.append(f"{row['model']}: jury mean score {_fmt(row['mean'])} over {row['goals']} goals")


async def _eval_and_close(coro: Any) -> Any:
    try:
        return await coro
    finally:
        await close_models()


def _stage_key(ctx: _Context, name: StageName) -> list[Any]:
    """What decides a stage's output: its settings, the files they name, and upstream markers."""
    step = getattr(ctx.config, name)
    key: list[Any] = [name, step.model_dump(mode="json")]
    for attr in ("config",):
        p = getattr(step, attr, None)
        if isinstance(p, Path):
            key.append(_file_digest(p))
    if name == "ingest":
        key.append(_ingest_key(ctx))
    upstream = STAGES[: STAGES.index(name)]
    for up in upstream:
        marker = stage_marker(ctx.out, up)
        if marker.is_file():
            key.append(json.loads(marker.read_text()).get("fingerprint"))
    return key


def _metaeval(ctx: _Context, report: StageReport) -> None:
    from sciplan.pipeline.metaeval_stage import run_metaeval_stage

    run_metaeval_stage(ctx, report)


_RUNNERS: dict[str, Callable[[_Context, StageReport], None]] = {
    "ingest": _ingest, "extract": _extract, "train": _train, "evaluate": _evaluate, "metaeval": _metaeval,
}


def check_stage_configs(config: PipelineConfig, names: list[StageName]) -> None:
    """Load every named stage's config file now, so a missing or broken one fails before hours of work."""
    _check_configs(_Context(config, None), names)


def _check_configs(ctx: _Context, names: list[StageName]) -> None:
    # Each file is loaded once: the stages use what is loaded here.
    if "extract" in names and ctx.config.extract is not None:
        assert ctx.extract_config is not None
    if "train" in names and ctx.config.train is not None:
        assert ctx.train_file is not None
    evaluate = ctx.config.evaluate
    if "evaluate" in names and evaluate is not None and evaluate.config is not None:
        load_yaml(evaluate.config)  # its models are filled in at run time: check the file itself


def run_pipeline(
    config: PipelineConfig,
    *,
    start: StageName | None = None,
    until: StageName | None = None,
    console: Any = None,
    on_stage: Callable[[str], None] | None = None,
) -> list[StageReport]:
    """Run the configured stages (from `start` through `until`); return what each did."""
    ctx = _Context(config, console)
    ctx.out.mkdir(parents=True, exist_ok=True)
    reports = []
    names = select_stages(config, start, until)
    _check_configs(ctx, names)
    for name in names:
        fingerprint = _fingerprint(_stage_key(ctx, name))
        marker = stage_marker(ctx.out, name)
        if marker.is_file():
            done = StageReport.model_validate_json(marker.read_text())
            if done.fingerprint == fingerprint:
                # Skipped: this run spent nothing on it; what it wrote earlier is still there.
                report = done.model_copy(update={**Spend().model_dump(), "seconds": 0.0, "status": "done earlier"})
                reports.append(report)
                ctx.reports[name] = report
                continue
        if on_stage:
            on_stage(name)
        report = StageReport(name=name, status="ran", fingerprint=fingerprint)
        started = time.perf_counter()
        # Stages run one at a time: everything the process spends meanwhile is this stage's.
        with usage_scope(everywhere=True) as spent:
            try:
                _RUNNERS[name](ctx, report)
            except SciplanError as exc:
                # No marker: a rerun resumes this stage; what it wrote is kept, and why it stopped is on disk.
                failed = {"name": name, "status": "failed", "error": str(exc), "seconds": time.perf_counter() - started}
                finished = [r.model_dump(mode="json") for r in reports]
                (ctx.out / "summary.json").write_text(json.dumps([*finished, failed], indent=2, default=str) + "\n")
                raise
        report.seconds = time.perf_counter() - started
        report.add(spent)
        marker.parent.mkdir(parents=True, exist_ok=True)
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(report.model_dump_json(indent=2) + "\n")
        tmp.replace(marker)  # atomic: a marker is whole or absent
        reports.append(report)
        ctx.reports[name] = report
    summary = ctx.out / "summary.json"
    summary.write_text(json.dumps([r.model_dump(mode="json") for r in reports], indent=2) + "\n")
    return reports
