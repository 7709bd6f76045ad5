"""The pipeline's metaeval stage: the grader measured on controlled variants of held-out references.

Its figures go to RUN/metaeval/, and its section is added to the evaluation report when
the evaluate stage ran, so the report says how far the grader behind its scores is to be trusted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sciplan.errors import SciplanError
from sciplan.jsonl import JsonlReport, read_records
from sciplan.records import Goal

__all__ = ["run_metaeval_stage"]


def _goals(ctx: Any) -> list[Goal]:
    step = ctx.config.metaeval
    if isinstance(step.goals, Path):
        return read_records(step.goals, Goal, JsonlReport(step.goals))
    if step.goals == "heldout" and ctx.config.train is not None:
        from sciplan.train import split_goals

        held = split_goals(ctx.train_config.goals).validation
        if held:
            return held
    return read_records(ctx.goals, Goal) if ctx.goals.is_file() else []


def _rerender_report(ctx: Any, result: dict[str, Any]) -> Path | None:
    """The evaluation report again, now with the metaeval section (no model call)."""
    if ctx.config.evaluate is None or not (ctx.eval_dir / "config.json").is_file():
        return None
    from sciplan.evaluate import EvalConfig, analyse
    from sciplan.metaeval import section

    cfg = EvalConfig.model_validate_json((ctx.eval_dir / "config.json").read_text(encoding="utf-8"))
    goal_ids = {p["goal_id"] for p in _jsonl(ctx.eval_dir / "plans.jsonl")}
    from sciplan.pipeline.runner import _eval_goals

    goals = [g for g in _eval_goals(ctx) if g.id in goal_ids]
    return analyse(ctx.eval_dir, goals, cfg, metaeval=section(result)).report


def _jsonl(path: Path) -> list[dict[str, Any]]:
    from sciplan.jsonl import read_jsonl

    return list(read_jsonl(path)) if path.is_file() else []


def run_metaeval_stage(ctx: Any, report: Any) -> None:
    """Run metaeval with the stage's config on its goals; note each grader's plain verdict."""
    from sciplan.llm import close_models
    from sciplan.metaeval import load_metaeval_config, run_metaeval, verdict_of
    from sciplan.pipeline.runner import MetaevalOutput

    step = ctx.config.metaeval
    cfg = load_metaeval_config(step.config)
    goals = [g for g in _goals(ctx) if (g.reference or "").strip()]
    if not goals:
        raise SciplanError("metaeval stage: no goals with a reference solution")
    out = ctx.out / "metaeval"

    async def go() -> dict[str, Any]:
        try:
            return await run_metaeval(goals, cfg, out)
        finally:
            await close_models()

    result = asyncio.run(go())
    report.wrote = {ctx.rel(out / "metaeval.json"): 1, ctx.rel(out / "grades.jsonl"): len(_jsonl(out / "grades.jsonl"))}
    report.metaeval = MetaevalOutput(
        figures=str(out / "metaeval.json"),
        grader_auc={g: f["summary"]["grader_auc"] for g, f in result["graders"].items()},
    )
    for grader, figs in result["graders"].items():
        report.notes.append(verdict_of(grader, figs["summary"]))
    html = _rerender_report(ctx, result)
    report.notes.append(f"metaeval section in {html}" if html else f"metaeval report: {out / 'metaeval.html'}")
