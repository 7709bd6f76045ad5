"""The HTML report: one self-contained file (figures embedded as base64 PNG, no external links).

Model text (plans, verdicts, goals, rubric items, model names) is untrusted: Jinja
autoescapes every value, and plans are rendered as Markdown with raw HTML off and then
passed through the nh3 sanitiser, so a `<script>` in a plan shows as text.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import jinja2
import pandas as pd

from sciplan.evaluate import plots
from sciplan.evaluate.frames import ALL, JURY, EvalData, item_indices
from sciplan.evaluate.markdown import render_markdown
from sciplan.evaluate.tables import EvalTables
from sciplan.grade import failure_view
from sciplan.records import Plan

__all__ = ["comparisons", "example_pairs", "render_markdown", "render_metaeval_page", "render_report", "write_report"]

@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sciplan.evaluate", "templates"),
        autoescape=True,  # every value is escaped unless a filter returns sanitised Markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = render_markdown
    env.filters["cell"] = _cell
    env.filters["pct"] = _pct
    return env


def _cell(value: object, column: str = "") -> str:
    """A table cell as text: numbers rounded, p-values floored, missing as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        if column.endswith("_p"):
            return "< 0.0001" if value < 1e-4 else f"{value:.4f}"
        return f"{value:.3f}"
    return str(value)


def _pct(value: object, signed: bool = False) -> str:
    """A share (or, `signed`, a relative change) as a percentage; missing as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * float(value):{'+' if signed else ''}.1f}%"


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _records(df: pd.DataFrame | None, **where: object) -> dict:
    """A table as {columns, rows} for the template, optionally filtered by column values."""
    if df is None:
        return {"columns": [], "rows": []}
    for col, value in where.items():
        df = df[df[col] == value]
    df = df.astype(object).where(df.notna(), None)
    return {"columns": list(df.columns), "rows": df.to_dict(orient="records")}


def _guideline_grid(df: pd.DataFrame, names: dict[str, str]) -> dict:
    """Jury violation rates as a model × guideline grid (the CSV keeps the long table)."""
    g = df[df.judge == JURY]
    if g.empty:
        return {"columns": [], "rows": []}
    ids = list(dict.fromkeys(g.guideline))
    rows = []
    for model, part in g.groupby("model", sort=False):
        rates = dict(zip(part.guideline, part.rate, strict=True))
        row = {"model": model, "verdicts": int(part.verdicts.iloc[0])}
        row.update({gid: f"{rates[gid]:.0%}" if gid in rates else "—" for gid in ids})
        rows.append(row)
    return {"columns": ["model", "verdicts", *ids], "rows": rows}


def _verdicts(data: EvalData, plan: Plan) -> list[dict]:
    goal = data.goals[plan.goal_id]
    out = []
    for g in sorted((g for g in data.grades if g.plan_id == plan.id), key=lambda g: g.grader):
        items = []
        for gi, idx in zip(g.items, item_indices(g, goal.rubric), strict=True):
            items.append(
                {
                    # Shown 1-based, like the goal's numbered rubric.
                    "number": idx + 1 if idx is not None else "?",
                    "item": goal.rubric[idx] if idx is not None else gi.item,
                    "satisfied": gi.satisfied,
                    "violations": gi.violations,
                    "reason": gi.reason,
                    "excerpt": gi.excerpt,
                }
            )
        items.sort(key=lambda i: (not isinstance(i["number"], int), i["number"] if isinstance(i["number"], int) else 0))
        out.append(
            {"judge": g.grader, "score": g.score, "failed": g.failed, "error": g.error, "flags": g.flags, "rows": items}
        )
    return out


def _plan_view(data: EvalData, plan: Plan | None) -> dict | None:
    if plan is None:
        return None
    s = data.scores
    jury = s[(s.plan_id == plan.id) & (s.judge == JURY)].score
    return {
        "id": plan.id,
        "model": plan.model,
        "sample": plan.sample,
        "text": plan.text,
        "tokens": plan.tokens,
        "format_ok": plan.format_ok,
        "jury": float(jury.iloc[0]) if len(jury) and pd.notna(jury.iloc[0]) else None,
        "verdicts": _verdicts(data, plan),
    }


def _gap(jury: pd.DataFrame, goal_id: str, model: str | None, baseline: str) -> float:
    """|jury score of `model` − the baseline's| on a goal; 0 where either is missing."""
    if model is None or jury.empty or model not in jury or baseline not in jury or goal_id not in jury.index:
        return 0.0
    d = jury.at[goal_id, model] - jury.at[goal_id, baseline]
    return 0.0 if pd.isna(d) else abs(float(d))


def example_pairs(data: EvalData, models: Sequence[str], baseline: str, n: int) -> list[dict]:
    """Up to `n` goals per model where it and the baseline differ most (first samples), with verdicts.

    With the baseline alone, its plans are the examples.
    """
    first = {(p.goal_id, p.model): p for p in sorted(data.plans.values(), key=lambda p: -p.sample)}
    jury = data.goal_scores(JURY)
    out = []
    others = [m for m in models if m != baseline] or [None]
    for model in others:
        goals = [g for g in data.goals if (g, baseline) in first and (model is None or (g, model) in first)]

        gaps = {g: _gap(jury, g, model, baseline) for g in goals}
        for goal_id in sorted(goals, key=lambda g: (-gaps[g], g))[:n]:
            goal = data.goals[goal_id]
            out.append(
                {
                    "goal": {"id": goal.id, "domain": goal.domain, "text": goal.text, "rubric": goal.rubric},
                    "left": _plan_view(data, first[(goal_id, baseline)]),
                    "right": _plan_view(data, first.get((goal_id, model)) if model else None),
                }
            )
    return out


def _first(df: pd.DataFrame, **where: object) -> dict:
    for col, value in where.items():
        df = df[df[col] == value]
    return {} if df.empty else {k: (None if pd.isna(v) else v) for k, v in df.iloc[0].items()}


def comparisons(data: EvalData, tables: EvalTables, models: Sequence[str], baseline: str) -> list[dict]:
    """Before/after: each model against the baseline by the jury, with the per-goal scores."""
    jury = data.goal_scores(JURY)
    out = []
    for model in models:
        if model == baseline:
            continue
        goals = []
        if not jury.empty and model in jury and baseline in jury:
            both = jury[[baseline, model]].dropna()
            for goal_id, (before, after) in both.iterrows():
                goals.append(
                    {
                        "goal_id": goal_id,
                        "domain": data.goals[goal_id].domain or "",
                        "baseline": before,
                        "model": after,
                        "difference": after - before,
                    }
                )
        out.append(
            {
                "model": model,
                "baseline": baseline,
                "goals": goals,
                "wins": _first(tables.wins, model=model, judge=JURY, domain=ALL),
                "improvement": _first(tables.improvement, model=model, judge=JURY, domain=ALL),
            }
        )
    return out


def render_report(
    data: EvalData,
    tables: EvalTables,
    *,
    models: Sequence[str],
    baseline: str,
    title: str = "sciplan evaluation",
    examples: int = 3,
    guideline_names: dict[str, str] | None = None,
    files: Sequence[str] = (),
    settings: dict[str, object] | None = None,
    metaeval: dict | None = None,
) -> str:
    """The report as one HTML string; `metaeval` is `sciplan.metaeval.section(...)` when one ran."""
    models = list(models)
    judges = data.judges
    names = guideline_names or {}
    figures = {
        "scores": _png(plots.score_bars(tables.scores, models, judges)),
        "wins": _png(plots.win_heatmap(tables.win_matrix, models)),
        "guidelines": _png(plots.guideline_bars(tables.guidelines, models, names)),
        "distributions": _png(plots.score_distributions(data.scores, models)),
        "paired": _png(plots.paired_scores(data.goal_scores(JURY), baseline, models)),
    }
    failures = failure_view(data.grades)
    failed = int(sum(g.failed for g in data.grades))
    context = {
        "title": title,
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "models": models,
        "baseline": baseline,
        "judges": judges,
        "jury": JURY,
        "domains": data.domains,
        "goals": len(data.goals),
        "plans": len(data.plans),
        "grades": len(data.grades),
        "failed": failed,
        "failure_reasons": failures.reasons,
        "settings": settings or {},
        "figures": figures,
        "scores": _records(tables.scores, domain=ALL),
        "scores_by_domain": _records(tables.scores[tables.scores.domain != ALL]),
        "wins": _records(tables.wins, domain=ALL),
        "wins_by_domain": _records(tables.wins[tables.wins.domain != ALL]),
        "improvement": _records(tables.improvement, domain=ALL),
        "guidelines": _guideline_grid(tables.guidelines, names),
        "guideline_names": names,
        "items": _records(tables.items, judge=JURY),
        "agreement": _records(tables.agreement),
        "judges_parse": _records(tables.judges),
        "ranking": _records(tables.ranking),
        "human": _records(tables.human_agreement) if tables.human_agreement is not None else None,
        "examples": example_pairs(data, models, baseline, examples),
        "comparisons": comparisons(data, tables, models, baseline),
        "files": list(files),
        "metaeval": metaeval,
    }
    return _env().get_template("report.html.j2").render(**context)


def render_metaeval_page(metaeval: dict, title: str = "sciplan metaeval") -> str:
    """A page holding only the metaeval section (`sciplan.metaeval.section(...)`)."""
    return _env().get_template("metaeval_page.html.j2").render(metaeval=metaeval, title=title)


def write_report(path: Path, html: str) -> Path:
    """Write the report atomically (a reader never sees half a file); return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
