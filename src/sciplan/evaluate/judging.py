"""How the judges behaved: agreement among them on item verdicts, and how often their output parsed."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from sciplan.evaluate.frames import JURY, EvalData
from sciplan.evaluate.stats import cohen_kappa, fleiss_kappa, krippendorff_alpha, mean_pair_agreement

__all__ = ["AGREEMENT_COLUMNS", "agreement_table", "judge_labels", "judge_table"]

AGREEMENT_COLUMNS = ["measure", "rater_a", "rater_b", "units", "agreement", "kappa", "plans", "score_pearson"]


def judge_table(data: EvalData) -> pd.DataFrame:
    """Each judge's grades, failed grades (output unparsable after repairs) and parse rate."""
    cols = ["judge", "grades", "failed", "parse_rate", "repaired"]
    rows = []
    for judge in data.judges:
        gs = [g for g in data.grades if g.grader == judge]
        failed = sum(g.failed for g in gs)
        # A grade that needed more than one attempt parsed only after a repair turn.
        repaired = sum(1 for g in gs if not g.failed and g.attempts > 1)
        rows.append(
            {
                "judge": judge,
                "grades": len(gs),
                "failed": failed,
                "parse_rate": (len(gs) - failed) / len(gs) if gs else None,
                "repaired": repaired,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def judge_labels(data: EvalData) -> pd.DataFrame:
    """One verdict per (plan, item, judge): the majority of that judge's grades (exact halves dropped)."""
    it = data.items
    if it.empty:
        return pd.DataFrame(columns=["plan_id", "index", "judge", "satisfied"])
    share = it.groupby(["plan_id", "index", "judge"], as_index=False).satisfied.mean()
    share = share[share.satisfied != 0.5]
    share["satisfied"] = share.satisfied > 0.5
    return share


def agreement_table(data: EvalData) -> pd.DataFrame:
    """Inter-judge agreement on item verdicts: Fleiss' κ over all judges, Cohen's κ per pair."""
    judges = data.judges
    labels = judge_labels(data)
    if len(judges) < 2 or labels.empty:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    wide = labels.pivot_table(index=["plan_id", "index"], columns="judge", values="satisfied", aggfunc="first")
    units = [[bool(v) for v in row if not pd.isna(v)] for row in wide.itertuples(index=False)]
    units = [u for u in units if len(u) >= 2]
    rows = [
        {
            "measure": "fleiss_kappa",
            "rater_a": "all judges",
            "rater_b": None,
            "units": len(units),
            "agreement": mean_pair_agreement(units),
            "kappa": fleiss_kappa(units),
            "plans": None,
            "score_pearson": None,
        },
        {
            "measure": "krippendorff_alpha",
            "rater_a": "all judges",
            "rater_b": None,
            "units": len(units),
            "agreement": mean_pair_agreement(units),
            "kappa": krippendorff_alpha(units),
            "plans": None,
            "score_pearson": None,
        },
    ]
    s = data.scores
    plan_scores = s[s.judge != JURY].pivot_table(index="plan_id", columns="judge", values="score", aggfunc="mean")
    for a, b in combinations(judges, 2):
        both = wide[[a, b]].dropna() if a in wide and b in wide else pd.DataFrame()
        x, y = (both[a].astype(bool).tolist(), both[b].astype(bool).tolist()) if not both.empty else ([], [])
        sc = plan_scores[[a, b]].dropna() if a in plan_scores and b in plan_scores else pd.DataFrame()
        r = None
        if len(sc) >= 3 and sc[a].std() > 0 and sc[b].std() > 0:
            r = float(np.corrcoef(sc[a], sc[b])[0, 1])
        rows.append(
            {
                "measure": "cohen_kappa",
                "rater_a": a,
                "rater_b": b,
                "units": len(x),
                "agreement": (sum(p == q for p, q in zip(x, y, strict=True)) / len(x)) if x else None,
                "kappa": cohen_kappa(x, y),
                "plans": len(sc),
                "score_pearson": r,
            }
        )
    out = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    out["plans"] = out["plans"].astype("Int64")
    return out
