"""The evaluation's figures as tables (pandas), each written as CSV and JSON.

| table | one row per |
|---|---|
| `scores` | model × domain × judge (and the jury): mean score over goals, bootstrap CI (its method in `ci_method`) |
| `goal_scores` | goal × model × judge (and the jury): the score every statistic starts from |
| `wins` | model × domain × judge vs the baseline: win rate (ties half), CI, sign test, Wilcoxon |
| `win_matrix` | ordered pair of models: jury win rate of the first over the second |
| `improvement` | model × domain × judge vs the baseline: (A − B) / B with a paired bootstrap CI |
| `guidelines` | model × judge × guideline: share of item verdicts that violate it |
| `items` | goal × rubric item × model × judge: share of verdicts that satisfy it |
| `agreement` | judge pair (Cohen's κ) and all judges (Fleiss' κ, Krippendorff's α) on item verdicts |
| `judges` | judge: grades, failed grades, parse rate |
| `ranking` | model (with more than two): Bradley–Terry rating on the Elo scale, bootstrap CI |
| `pairwise` | pairwise judge × model vs the baseline, both orders: win rate, order agreement, first-shown wins |

Every interval resamples whole papers by default (`StatsConfig.resample`): a goal's
paper is its cluster, since goals of one paper are not independent.
| `human_agreement` | judge × label kind: agreement with human labels (when given) |
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from sciplan.evaluate.config import StatsConfig
from sciplan.evaluate.frames import ALL, JURY, EvalData
from sciplan.evaluate.judging import agreement_table, judge_table
from sciplan.evaluate.ranking import ranking_table
from sciplan.evaluate.stats import (
    bootstrap_ci,
    relative_improvement,
    relative_improvement_ci,
    sign_test,
    wilcoxon_test,
    win_rate,
    win_rate_ci,
)

__all__ = ["EvalTables", "build_tables", "write_tables"]

@dataclass
class EvalTables:
    """Every table of one evaluation; `human_agreement` is None without human labels."""

    scores: pd.DataFrame
    goal_scores: pd.DataFrame
    wins: pd.DataFrame
    win_matrix: pd.DataFrame
    improvement: pd.DataFrame
    guidelines: pd.DataFrame
    items: pd.DataFrame
    agreement: pd.DataFrame
    judges: pd.DataFrame | None = None
    ranking: pd.DataFrame | None = None
    pairwise: pd.DataFrame | None = None
    human_agreement: pd.DataFrame | None = None

    def frames(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in report order (absent ones left out)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in out.items() if v is not None}


def build_tables(
    data: EvalData,
    *,
    models: Sequence[str] | None = None,
    baseline: str | None = None,
    stats: StatsConfig | None = None,
    guideline_ids: Sequence[str] = (),
    human_agreement: pd.DataFrame | None = None,
) -> EvalTables:
    """All tables for `models` (default: every model with plans) against `baseline` (default: the first)."""
    stats = stats or StatsConfig()
    models = list(models) if models is not None else data.models
    baseline = baseline or (models[0] if models else None)
    judges = data.judges + [JURY]
    domains = [ALL] + data.domains
    return EvalTables(
        scores=score_table(data, models, judges, domains, stats),
        goal_scores=goal_score_table(data, models),
        wins=win_table(data, models, baseline, judges, domains, stats),
        win_matrix=win_matrix(data, models),
        improvement=improvement_table(data, models, baseline, judges, domains, stats),
        guidelines=guideline_table(data, models, guideline_ids),
        items=item_table(data, models),
        agreement=agreement_table(data),
        judges=judge_table(data),
        ranking=ranking_table(data, models, stats),
        human_agreement=human_agreement,
    )


def _ci_kwargs(stats: StatsConfig, data: EvalData, goal_ids: Sequence[str]) -> dict:
    clusters = data.clusters(goal_ids) if stats.resample == "papers" else None
    return {"n_boot": stats.bootstrap, "level": stats.level, "seed": stats.seed, "clusters": clusters}


def ci_method(stats: StatsConfig) -> str:
    """How every interval of these tables was computed, in words (a column of each table with CIs)."""
    unit = "papers (cluster bootstrap)" if stats.resample == "papers" else "goals"
    return f"percentile bootstrap over {unit}, {stats.bootstrap} resamples, {stats.level:.0%}"


SCORE_TABLE_COLUMNS = ["model", "domain", "judge", "goals", "mean", "ci_low", "ci_high", "ci_method",
                       "mean_failed_as_0", "failed_grades"]


def score_table(
    data: EvalData, models: list[str], judges: list[str], domains: list[str], stats: StatsConfig
) -> pd.DataFrame:
    """Mean score per model × domain × judge over goals, with a bootstrap CI."""
    rows = []
    s = data.scores
    for judge in judges:
        for domain in domains:
            t = data.goal_scores(judge, domain)
            for model in models:
                col = t[model].dropna() if model in t else pd.Series(dtype=float)
                values = col.to_numpy()
                sel = s[(s.judge == judge) & (s.model == model) & ((s.domain == domain) if domain != ALL else True)]
                if values.size == 0 and sel.empty:
                    continue
                lo, hi = bootstrap_ci(values, **_ci_kwargs(stats, data, list(col.index)))
                # The same mean with failed grades counted as 0 (mean over samples, then goals).
                as_zero = sel.groupby("goal_id").score_failed_as_0.mean()
                rows.append(
                    {
                        "model": model,
                        "domain": domain,
                        "judge": judge,
                        "goals": int(values.size),
                        "mean": float(values.mean()) if values.size else None,
                        "ci_low": lo,
                        "ci_high": hi,
                        "ci_method": ci_method(stats),
                        "mean_failed_as_0": float(as_zero.mean()) if not as_zero.empty else None,
                        # The jury row counts the failed grades of all judges.
                        "failed_grades": int(sel.failed.sum()),
                    }
                )
    return pd.DataFrame(rows, columns=SCORE_TABLE_COLUMNS)


def goal_score_table(data: EvalData, models: list[str]) -> pd.DataFrame:
    """Each model's score on each goal by each judge and the jury (mean over samples; failed grades left out)."""
    cols = ["goal_id", "domain", "model", "judge", "score", "scored_samples", "failed_grades"]
    s = data.scores[data.scores.model.isin(models)]
    if s.empty:
        return pd.DataFrame(columns=cols)
    out = s.groupby(["goal_id", "domain", "model", "judge"], as_index=False, sort=False).agg(
        score=("score", "mean"), scored_samples=("score", "count"), failed_grades=("failed", "sum")
    )
    order = {m: i for i, m in enumerate(models)}
    out = out.assign(_m=out.model.map(order)).sort_values(["goal_id", "_m", "judge"], kind="stable")
    return out[cols].reset_index(drop=True)


def _comparisons(models: list[str], baseline: str | None, judges: list[str], domains: list[str]):
    for model in models:
        if model == baseline or baseline is None:
            continue
        for judge in judges:
            for domain in domains:
                yield model, judge, domain


def win_table(data: EvalData, models, baseline, judges, domains, stats: StatsConfig) -> pd.DataFrame:
    """Per-goal win rate of each model over the baseline (ties half), CI, sign and Wilcoxon p."""
    rows = []
    for model, judge, domain in _comparisons(models, baseline, judges, domains):
        a, b, ids = data.paired_goals(model, baseline, judge, domain)
        if a.size == 0:
            continue
        w = win_rate(a, b)
        lo, hi = win_rate_ci(a, b, **_ci_kwargs(stats, data, ids))
        rows.append(
            {
                "model": model,
                "baseline": baseline,
                "domain": domain,
                "judge": judge,
                "goals": w.n,
                "wins": w.wins,
                "ties": w.ties,
                "losses": w.losses,
                "win_rate": w.rate,
                "ci_low": lo,
                "ci_high": hi,
                "ci_method": ci_method(stats),
                "sign_p": sign_test(a, b),
                "wilcoxon_p": wilcoxon_test(a, b),
            }
        )
    cols = [
        "model",
        "baseline",
        "domain",
        "judge",
        "goals",
        "wins",
        "ties",
        "losses",
        "win_rate",
        "ci_low",
        "ci_high",
        "ci_method",
        "sign_p",
        "wilcoxon_p",
    ]
    return pd.DataFrame(rows, columns=cols)


def win_matrix(data: EvalData, models: list[str]) -> pd.DataFrame:
    """Jury win rate of every model (row) over every other (column), long format."""
    rows = []
    for a in models:
        for b in models:
            if a == b:
                continue
            x, y = data.paired(a, b)
            w = win_rate(x, y)
            rows.append({"model": a, "opponent": b, "goals": w.n, "win_rate": w.rate})
    return pd.DataFrame(rows, columns=["model", "opponent", "goals", "win_rate"])


def improvement_table(data: EvalData, models, baseline, judges, domains, stats: StatsConfig) -> pd.DataFrame:
    """Relative improvement (A − B) / B of each model over the baseline, paired bootstrap CI."""
    rows = []
    for model, judge, domain in _comparisons(models, baseline, judges, domains):
        a, b, ids = data.paired_goals(model, baseline, judge, domain)
        if a.size == 0:
            continue
        lo, hi = relative_improvement_ci(a, b, **_ci_kwargs(stats, data, ids))
        rows.append(
            {
                "model": model,
                "baseline": baseline,
                "domain": domain,
                "judge": judge,
                "goals": int(a.size),
                "model_mean": float(a.mean()),
                "baseline_mean": float(b.mean()),
                "relative_improvement": relative_improvement(a, b),
                "ci_low": lo,
                "ci_high": hi,
                "ci_method": ci_method(stats),
            }
        )
    cols = [
        "model",
        "baseline",
        "domain",
        "judge",
        "goals",
        "model_mean",
        "baseline_mean",
        "relative_improvement",
        "ci_low",
        "ci_high",
        "ci_method",
    ]
    return pd.DataFrame(rows, columns=cols)


def guideline_table(data: EvalData, models: list[str], guideline_ids: Sequence[str] = ()) -> pd.DataFrame:
    """Share of item verdicts violating each guideline, per model × judge (jury: pooled verdicts)."""
    cols = ["model", "judge", "guideline", "violations", "verdicts", "rate"]
    it = data.items
    if it.empty:
        return pd.DataFrame(columns=cols)
    seen = sorted({v for vs in it.violations for v in vs})
    ids = list(dict.fromkeys([*guideline_ids, *seen]))
    rows = []
    for model in models:
        m = it[it.model == model]
        for judge in data.judges + [JURY]:
            sel = m if judge == JURY else m[m.judge == judge]
            if sel.empty:
                continue
            for gid in ids:
                k = int(sum(gid in vs for vs in sel.violations))
                rows.append(
                    {
                        "model": model,
                        "judge": judge,
                        "guideline": gid,
                        "violations": k,
                        "verdicts": len(sel),
                        "rate": k / len(sel),
                    }
                )
    return pd.DataFrame(rows, columns=cols)


def item_table(data: EvalData, models: list[str]) -> pd.DataFrame:
    """Share of verdicts satisfying each rubric item, per goal × item × model × judge (jury: pooled)."""
    cols = ["goal_id", "domain", "index", "item", "model", "judge", "verdicts", "satisfied"]
    it = data.items[data.items.model.isin(models)]
    if it.empty:
        return pd.DataFrame(columns=cols)
    keys = ["goal_id", "domain", "index", "item", "model"]
    per_judge = it.groupby([*keys, "judge"], as_index=False).agg(
        verdicts=("satisfied", "size"), satisfied=("satisfied", "mean")
    )
    jury = it.groupby(keys, as_index=False).agg(verdicts=("satisfied", "size"), satisfied=("satisfied", "mean"))
    jury["judge"] = JURY
    out = pd.concat([per_judge, jury[per_judge.columns]], ignore_index=True)
    return out.sort_values(["goal_id", "index", "model", "judge"], kind="stable")[cols].reset_index(drop=True)


def _jsonable(df: pd.DataFrame) -> list[dict]:
    # NaN becomes null, numpy scalars become plain numbers: the JSON is valid for any reader.
    return json.loads(df.to_json(orient="records", force_ascii=False))


def _csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    # Rubric text comes from models: a cell starting with = + - @ would run as a spreadsheet
    # formula, so it gets a leading apostrophe (the JSON keeps the exact text).
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
            )
    return out


def write_tables(tables: EvalTables, out_dir: Path) -> list[Path]:
    """Write each table as `NAME.csv` and `NAME.json` under `out_dir`; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.frames().items():
        csv_path, json_path = out_dir / f"{name}.csv", out_dir / f"{name}.json"
        _csv_safe(df).to_csv(csv_path, index=False)
        json_path.write_text(json.dumps(_jsonable(df), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        paths += [csv_path, json_path]
    return paths
