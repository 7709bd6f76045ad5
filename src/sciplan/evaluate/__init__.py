"""Evaluation: plans from many models, graded by a jury, statistics with CIs, an HTML report.

    config = load_eval_config("eval.yaml", models="local:smollm2,hf:runs/x/ckpt", jury="local:smollm2")
    result = await run_eval(goals, config, Path("runs/x/eval"))
    result.tables.wins, result.report          # DataFrames (also CSV + JSON), report.html

`run_eval` resumes from what `out` holds (a rerun makes no model call) and shows rich
progress bars unless given `progress=` (`Silent()` shows nothing). The statistics
(`sciplan.evaluate.stats`) and tables work on `Goal`/`Plan`/`Grade` records alone:
`EvalData.build(goals, plans, grades)` then `build_tables(data)`. `human_agreement` is the
one implementation of human-vs-judge agreement; `sciplan.study` uses it too.

The statistics themselves (win rates, sign and Wilcoxon tests, κ) are in
`sciplan.evaluate.stats`; progress displays in `sciplan.progress`.
"""

from sciplan.evaluate.config import EvalConfig, StatsConfig, load_eval_config
from sciplan.evaluate.frames import ALL, JURY, EvalData, item_indices, item_verdicts
from sciplan.evaluate.humans import HumanLabels, human_agreement, load_human_labels
from sciplan.evaluate.report import comparisons, example_pairs, render_markdown, render_report, write_report
from sciplan.evaluate.runner import EvalResult, analyse, load_goals, run_eval, select_goals
from sciplan.evaluate.stats import bootstrap_ci
from sciplan.evaluate.tables import EvalTables, build_tables, write_tables
from sciplan.progress import RichProgress, Silent

__all__ = [
    "ALL",
    "JURY",
    "EvalConfig",
    "EvalData",
    "EvalResult",
    "EvalTables",
    "HumanLabels",
    "RichProgress",
    "Silent",
    "StatsConfig",
    "analyse",
    "bootstrap_ci",
    "build_tables",
    "comparisons",
    "example_pairs",
    "human_agreement",
    "item_indices",
    "item_verdicts",
    "load_eval_config",
    "load_goals",
    "load_human_labels",
    "render_markdown",
    "render_report",
    "run_eval",
    "select_goals",
    "write_report",
    "write_tables",
]
