"""Evaluation: plans from many models, graded by a jury, statistics with CIs, an HTML report.

    config = load_eval_config("eval.yaml", models="local:smollm2,hf:runs/x/ckpt", jury="local:smollm2")
    result = await run_eval(goals, config, Path("runs/x/eval"))
    result.tables.wins, result.report          # DataFrames (also CSV + JSON), report.html

`run_eval` resumes from what `out` holds (a rerun makes no model call) and shows rich
progress bars unless given `progress=` (`Silent()` shows nothing). The statistics
(`sciplan.evaluate.stats`) and tables work on `Goal`/`Plan`/`Grade` records alone:
`EvalData.build(goals, plans, grades)` then `build_tables(data)`. `human_agreement` is the
one implementation of human-vs-judge agreement; `sciplan.study` uses it too.
"""

from sciplan.evaluate.config import EvalConfig, StatsConfig, load_eval_config
from sciplan.evaluate.frames import ALL, JURY, EvalData, item_indices, item_verdicts
from sciplan.evaluate.humans import HumanItem, HumanLabels, HumanPreference, human_agreement, load_human_labels
from sciplan.evaluate.pairwise import PairVerdict, PairwiseJudge, pairwise_table
from sciplan.evaluate.progress import Progress, RichProgress, Silent
from sciplan.evaluate.ranking import Ranking, bradley_terry, rank_models
from sciplan.evaluate.report import comparisons, example_pairs, render_markdown, render_report, write_report
from sciplan.evaluate.runner import EvalResult, analyse, load_goals, run_eval, select_goals
from sciplan.evaluate.stats import (
    WinRate,
    bootstrap_ci,
    cluster_weights,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_table,
    krippendorff_alpha,
    mean_pair_agreement,
    relative_improvement,
    relative_improvement_ci,
    sign_test,
    wilcoxon_test,
    win_rate,
    win_rate_ci,
)
from sciplan.evaluate.tables import EvalTables, build_tables, write_tables

__all__ = [
    "ALL",
    "JURY",
    "EvalConfig",
    "EvalData",
    "EvalResult",
    "EvalTables",
    "HumanItem",
    "HumanLabels",
    "HumanPreference",
    "PairVerdict",
    "PairwiseJudge",
    "Progress",
    "Ranking",
    "RichProgress",
    "Silent",
    "StatsConfig",
    "WinRate",
    "analyse",
    "bootstrap_ci",
    "bradley_terry",
    "build_tables",
    "cluster_weights",
    "cohen_kappa",
    "comparisons",
    "example_pairs",
    "fleiss_kappa",
    "fleiss_kappa_table",
    "human_agreement",
    "item_indices",
    "item_verdicts",
    "krippendorff_alpha",
    "load_eval_config",
    "load_goals",
    "load_human_labels",
    "mean_pair_agreement",
    "pairwise_table",
    "rank_models",
    "relative_improvement",
    "relative_improvement_ci",
    "render_markdown",
    "render_report",
    "run_eval",
    "select_goals",
    "sign_test",
    "wilcoxon_test",
    "win_rate",
    "win_rate_ci",
    "write_report",
    "write_tables",
]
