"""Evidence that a grader measures plan quality, and audits of goal datasets.

    cfg = MetaevalConfig(graders=["local:smollm2"])
    result = await run_metaeval(goals, cfg, Path("runs/metaeval"))   # figures per grader
    result["graders"]["local:smollm2"]["summary"]["grader_auc"]
    table = item_agreement(labels, data)                              # HealthBench-style, vs humans
    audit = await audit_dataset(goals, AuditConfig(), judge=model)    # leakage, duplicates, lengths
"""

from sciplan.metaeval.config import FAMILIES, MetaevalConfig, load_metaeval_config
from sciplan.metaeval.figures import DEGRADED, auc, expected_labels, grader_figures
from sciplan.metaeval.grading import GradeJob, grade_jobs, jobs_for
from sciplan.metaeval.output import auc_bars, section, separation_verdict, uplift_plot, verdict_of, write_tables
from sciplan.metaeval.run import figures_from, run_metaeval
from sciplan.metaeval.variants import build_variants, clauses, item_clauses, load_flaws, load_injections

__all__ = [
    "DEGRADED",
    "FAMILIES",
    "GradeJob",
    "MetaevalConfig",
    "auc",
    "auc_bars",
    "build_variants",
    "clauses",
    "expected_labels",
    "figures_from",
    "grade_jobs",
    "grader_figures",
    "item_clauses",
    "jobs_for",
    "load_flaws",
    "load_injections",
    "load_metaeval_config",
    "run_metaeval",
    "section",
    "separation_verdict",
    "uplift_plot",
    "verdict_of",
    "write_tables",
]
