"""`sciplan eval`: plans from every model, graded by every judge, statistics and an HTML report.

The evaluation stack (pandas, scipy, matplotlib) is imported inside the command, so other
`sciplan` commands start fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from sciplan.cli.common import run_async
from sciplan.cli.console import console

if TYPE_CHECKING:
    from sciplan.evaluate import EvalResult

__all__ = ["evaluate", "print_summary", "summary_table"]


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _num(x: object, digits: int = 3) -> str:
    return "—" if _missing(x) else f"{x:.{digits}f}"


def _ci(row: dict, key: str, digits: int = 3, pct: bool = False, signed: bool = False) -> str:
    if _missing(row.get(key)):
        return "—"
    sign = "+" if signed else ""
    f = (lambda v: f"{100 * v:{sign}.1f}%") if pct else (lambda v: f"{v:{sign}.{digits}f}")
    lo, hi = row.get("ci_low"), row.get("ci_high")
    band = f" [{f(lo)}, {f(hi)}]" if not _missing(lo) and not _missing(hi) else ""
    return f(row[key]) + band


def _p(x: float | None) -> str:
    if x is None or _missing(x):
        return "—"
    return "<0.0001" if x < 1e-4 else f"{x:.4f}"


def summary_table(result: EvalResult) -> Table:
    """One row per model: jury mean with CI, each judge's mean, and the comparison with the baseline."""
    from sciplan.evaluate import ALL, JURY

    t, cfg = result.tables, result.config
    level = f"{100 * cfg.stats.level:g}% CI"
    table = Table(
        title=f"Evaluation over {len(result.data.goals)} goals (jury: mean of {len(cfg.jury)} judge(s); {level})",
        title_justify="left",
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("model", overflow="fold")
    table.add_column("jury score", justify="right")
    judges = result.data.judges
    if len(judges) > 1:
        for j in judges:
            table.add_column(escape(j), justify="right", overflow="fold")
    table.add_column("better/equal/worse", justify="right")
    table.add_column("win rate vs baseline", justify="right")
    table.add_column("sign p", justify="right")
    table.add_column("Wilcoxon p", justify="right")
    table.add_column("rel. improvement", justify="right")
    table.add_column("failed grades", justify="right")

    def one(df, **where) -> dict:
        for k, v in where.items():
            df = df[df[k] == v]
        return df.iloc[0].to_dict() if len(df) else {}

    for model in cfg.models:
        jury = one(t.scores, model=model, judge=JURY, domain=ALL)
        cells = [escape(model) + (" [dim](baseline)[/]" if model == cfg.baseline else ""), _ci(jury, "mean")]
        if len(judges) > 1:
            cells += [_num(one(t.scores, model=model, judge=j, domain=ALL).get("mean")) for j in judges]
        win = one(t.wins, model=model, judge=JURY, domain=ALL)
        imp = one(t.improvement, model=model, judge=JURY, domain=ALL)
        wtl = f"{win['wins']}/{win['ties']}/{win['losses']}" if win else "—"
        cells += [
            wtl,
            _ci(win, "win_rate", pct=True),
            _p(win.get("sign_p")),
            _p(win.get("wilcoxon_p")),
            _ci(imp, "relative_improvement", pct=True, signed=True),
            str(jury.get("failed_grades", "—")),
        ]
        table.add_row(*cells)
    return table


def print_summary(result: EvalResult) -> None:
    """The summary table, what this run added, and where the report and tables are."""
    console.print(summary_table(result))
    console.print(
        f"{result.new_plans} new plans, {result.new_grades} new grades"
        + (
            f", {result.failures} inputs failed (see {escape(str(result.out / 'failures.jsonl'))})"
            if result.failures
            else ""
        )
    )
    console.print(f"tables: {escape(str(result.out / 'tables'))}/")
    console.print(f"report: [bold]{escape(str(result.report))}[/]", soft_wrap=True)


def evaluate(
    goals: Path = typer.Option(..., "--goals", help="Goals with rubrics (JSONL of Goal records)."),
    out: Path = typer.Option(..., "--out", help="Output folder, e.g. runs/NAME/eval (reruns resume in it)."),
    models: str = typer.Option(
        None, "--models", help="Comma-separated models that write plans (default: local:smollm2)."
    ),
    baseline: str = typer.Option(
        None, "--baseline", help="The model the others are compared with (default: the first)."
    ),
    jury: str = typer.Option(None, "--jury", help="Comma-separated judge models (default: local:smollm2)."),
    samples: int = typer.Option(None, "--samples", help="Plans per model and goal (default: 1)."),
    config: Path = typer.Option(None, "--config", help="Eval config YAML (EvalConfig); options given here win."),
    split: str = typer.Option(None, "--split", help="Only goals of this split, e.g. test."),
    human_labels: Path = typer.Option(
        None, "--human-labels", help="Human labels (CSV/JSONL, or a study's annotations.jsonl)."
    ),
    retry_failed: bool = typer.Option(
        None, "--retry-failed/--keep-failed", help="Grade again grades that failed before."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the response cache."),
) -> None:
    """Generate plans for every model, grade each with every judge, and write tables and a report."""
    from sciplan.evaluate import RichProgress, load_eval_config, load_goals, run_eval

    cfg = load_eval_config(
        config,
        models=models,
        baseline=baseline,
        jury=jury,
        samples=samples,
        split=split,
        human_labels=human_labels,
        retry_failed=retry_failed,
    )
    if no_cache:
        cfg.settings.cache = False
    records = load_goals(goals)
    if cfg.samples > 1 and cfg.plan.temperature == 0:
        console.print("[yellow]note:[/] samples > 1 with temperature 0 gives identical plans; set plan.temperature")
    with RichProgress(console) as progress:
        result = run_async(run_eval(records, cfg, out, progress=progress))
    print_summary(result)
