"""`run_metaeval`: build the variants, grade them with every grader, compute and write the figures.

Resumable: variants are rebuilt identically from the seed, grades already in
`OUT/grades.jsonl` are not asked of a model again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sciplan.errors import SciplanError
from sciplan.jsonl import JsonlWriter, read_records
from sciplan.llm import Model, get_model, stage
from sciplan.metaeval.config import MetaevalConfig
from sciplan.metaeval.figures import grader_figures
from sciplan.metaeval.flaws import write_flaws
from sciplan.metaeval.grading import grade_jobs, jobs_for
from sciplan.metaeval.output import section, write_tables
from sciplan.metaeval.variants import build_variants
from sciplan.records import Goal, Grade, Plan

__all__ = ["run_metaeval", "figures_from"]


def _cost(model: Model, before: Any, seconds: float) -> dict[str, Any]:
    rows = [r for r in model.ledger.rows() if r.model == model.name and r.stage == "metaeval"]
    calls = sum(r.calls for r in rows) - before[0]
    return {"calls": calls, "tokens_in": sum(r.usage.prompt_tokens for r in rows) - before[1],
            "tokens_out": sum(r.usage.completion_tokens for r in rows) - before[2],
            "cost_usd": sum(r.cost for r in rows) - before[3], "seconds": round(seconds, 2)}


def _ledger_now(model: Model) -> tuple[int, int, int, float]:
    rows = [r for r in model.ledger.rows() if r.model == model.name and r.stage == "metaeval"]
    return (sum(r.calls for r in rows), sum(r.usage.prompt_tokens for r in rows),
            sum(r.usage.completion_tokens for r in rows), sum(r.cost for r in rows))


def figures_from(goals: Sequence[Goal], variants: Sequence[Plan], grades: Sequence[Grade], cfg: MetaevalConfig,
                 graders: Sequence[str], cost: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The metaeval result (JSON-ready) from records already graded; no model call."""
    plans = {p.id: p for p in variants}
    by_goal = {g.id: g for g in goals}
    result: dict[str, Any] = {"goals": len({p.goal_id for p in variants}), "variants": len(variants),
                              "seed": cfg.seed, "grading": cfg.grader.model_dump(mode="json"), "graders": {}}
    for name in graders:
        mine = [g for g in grades if g.grader == name]
        figs = grader_figures(mine, plans, by_goal, n_boot=cfg.bootstrap, level=cfg.level, seed=cfg.seed)
        figs["summary"].update((cost or {}).get(name, {}))
        result["graders"][name] = figs
    return result


async def run_metaeval(goals: Sequence[Goal], cfg: MetaevalConfig, out: Path, *,
                       models: Sequence[Model] | None = None) -> dict[str, Any]:
    """Build, grade, measure and write (OUT/variants.jsonl, grades.jsonl, metaeval.json, CSVs, metaeval.html)."""
    variants = build_variants(goals, cfg)
    if not variants:
        raise SciplanError("metaeval needs goals with a reference solution and a rubric; none given has both")
    if cfg.flaw_writer:
        flaw_model = get_model(cfg.flaw_writer, cfg.settings)
        with stage("metaeval"):
            variants = await write_flaws(flaw_model, {g.id: g for g in goals}, variants, cfg)
    out.mkdir(parents=True, exist_ok=True)
    with JsonlWriter[Plan](out / "variants.tmp", fsync=False) as w:
        for v in variants:
            w.write(v)
    (out / "variants.tmp").replace(out / "variants.jsonl")
    by_goal = {g.id: g for g in goals}
    graders = list(models) if models is not None else [get_model(s, cfg.settings) for s in cfg.graders]
    for m in graders:
        m.check_ready()
    path = out / "grades.jsonl"
    cost: dict[str, dict[str, Any]] = {}
    jobs = jobs_for(variants, cfg.consistency_seeds)
    for model in graders:
        done = {g.id for g in read_records(path, Grade) if g.grader == model.name and not g.failed} \
            if path.exists() else set()
        before, started = _ledger_now(model), time.perf_counter()
        with JsonlWriter[Grade](path) as writer, stage("metaeval"):
            await grade_jobs(model, cfg.grader, by_goal, jobs, done=done,
                             temperature=cfg.consistency_temperature, on_grade=writer.write)
        cost[model.name] = _cost(model, before, time.perf_counter() - started)
    wanted = {v.id for v in variants}
    names = [m.name for m in graders]
    latest: dict[str, Grade] = {}
    for g in read_records(path, Grade):
        if g.plan_id in wanted and g.grader in names:
            latest[g.id] = g  # a later line (a retried failure) wins
    result = figures_from(goals, variants, list(latest.values()), cfg, names, cost)
    write_tables(result, out)
    from sciplan.evaluate.report import render_metaeval_page, write_report

    write_report(out / "metaeval.html", render_metaeval_page(section(result)))
    return result
