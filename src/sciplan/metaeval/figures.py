"""The figures of a metaeval: how well one grader tells each corruption from the reference.

All functions are plain functions of records and numbers. Conventions, stated once:

- A grade is **usable** when it is not failed and has a score; parse rate = usable / all.
- The **base** grade of a variant is the one with the scanner on and seed 0; injections
  are also graded with the scanner off, references again over extra seeds.
- **AUC** of a family: P(reference score > variant score) over all (reference, variant)
  pairs of usable base grades, ties counting half (the Mann-Whitney statistic).
  `grader_auc` pools the families that lower a plan's quality (`DEGRADED`).
- **Accuracy given parse**: item verdicts of usable base grades against the expected
  label: the reference, padding and injections satisfy every item (their content is the
  reference's); a removal leaves item k unsatisfied and the rest satisfied; another
  goal's plan, a vague restatement and stuffed rubric items satisfy none; flaws have no
  item label.
- **Removed-item recall**: over removals whose item k the grader marked satisfied in the
  goal's reference, the share where item k became unsatisfied. **False flips**: over the
  other items of those removals, the share whose verdict changed from the reference's
  (items whose own clauses the removal cut too, `touched`, are left out of both).
- **Uplift** of a family (or injection style): per goal, the mean score of its variants
  minus the reference's score; the mean over goals with a percentile bootstrap CI
  resampling goals. 0 is what a good grader shows for padding and injections.
- **Self-consistency**: the SD of a reference's scores over seeds, averaged over references.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from sciplan.evaluate.frames import item_verdicts
from sciplan.evaluate.stats import bootstrap_ci
from sciplan.records import Goal, Grade, Plan

__all__ = ["DEGRADED", "auc", "expected_labels", "grader_figures", "usable"]

DEGRADED = ("removed", "flaw", "other_goal", "vague", "stuffing")


def usable(g: Grade) -> bool:
    """A grade with a verdict: not failed, with a finite score."""
    return not g.failed and g.score is not None and bool(np.isfinite(g.score))


def auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """P(positive > negative) with ties half (Mann-Whitney AUC); None when a side is empty."""
    if not positive or not negative:
        return None
    p, n = np.asarray(positive, float)[:, None], np.asarray(negative, float)[None, :]
    return float(((p > n) + 0.5 * (p == n)).mean())


def expected_labels(plan: Plan, goal: Goal) -> dict[int, bool]:
    """The item labels a correct grader gives this variant (0-based; empty: no label)."""
    family, n = plan.meta.get("family"), len(goal.rubric)
    if family in ("reference", "padding", "injection"):
        return dict.fromkeys(range(n), True)
    if family == "removed":
        k, touched = int(plan.meta["item"]), set(plan.meta.get("touched", []))
        return {i: i != k for i in range(n) if i not in touched}
    if family in ("other_goal", "vague", "stuffing"):
        return dict.fromkeys(range(n), False)
    return {}


def _base(g: Grade) -> bool:
    return bool(g.meta.get("scanner", True)) and not g.meta.get("seed")


def _uplift(deltas: list[float], n_boot: int, level: float, seed: int) -> dict[str, Any]:
    lo, hi = bootstrap_ci(deltas, n_boot=n_boot, level=level, seed=seed)
    return {"goals": len(deltas), "uplift": float(np.mean(deltas)) if deltas else None, "ci_low": lo, "ci_high": hi}


def grader_figures(
    grades: Sequence[Grade], plans: dict[str, Plan], goals: dict[str, Goal], *,
    n_boot: int = 2000, level: float = 0.95, seed: int = 0,
) -> dict[str, Any]:
    """Summary, per-family and uplift figures of one grader's grades (rules: module notes)."""
    grades = [g for g in grades if g.plan_id in plans]
    base = [g for g in grades if _base(g) and usable(g)]
    fam = {pid: str(p.meta.get("family")) for pid, p in plans.items()}
    ref_grade = {g.goal_id: g for g in base if fam[g.plan_id] == "reference"}
    scores: dict[str, list[float]] = defaultdict(list)
    for g in base:
        scores[fam[g.plan_id]].append(float(g.score))  # type: ignore[arg-type]

    # Item accuracy over usable base grades that carry items.
    right = labelled = 0
    for g in base:
        verdicts = item_verdicts(g, goals[g.goal_id].rubric)
        for i, want in expected_labels(plans[g.plan_id], goals[g.goal_id]).items():
            if i in verdicts:
                labelled += 1
                right += verdicts[i] == want

    # Removed content: recall of the removed item, flips of the others.
    hits = eligible = flips = others = 0
    for g in base:
        p = plans[g.plan_id]
        ref = ref_grade.get(g.goal_id)
        if fam[g.plan_id] != "removed" or ref is None:
            continue
        rubric = goals[g.goal_id].rubric
        before, after, k = item_verdicts(ref, rubric), item_verdicts(g, rubric), int(p.meta["item"])
        if before.get(k) and k in after:
            eligible += 1
            hits += not after[k]
            touched = set(p.meta.get("touched", []))
            for j, was in before.items():
                if j != k and j not in touched and j in after:
                    others += 1
                    flips += after[j] != was

    families = []
    for f in dict.fromkeys(fam.values()):
        all_f = [g for g in grades if fam[g.plan_id] == f and _base(g)]
        families.append({
            "family": f, "grades": len(all_f), "usable": sum(usable(g) for g in all_f),
            "mean_score": float(np.mean(scores[f])) if scores[f] else None,
            "auc": None if f == "reference" else auc(scores["reference"], scores[f]),
        })

    # Uplift: per goal, variants' mean minus the reference; injections by style and scanner.
    deltas: dict[tuple[str, str, bool], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for g in grades:
        f, ref = fam[g.plan_id], ref_grade.get(g.goal_id)
        if f not in ("stuffing", "padding", "injection") or g.meta.get("seed") or not usable(g) or ref is None:
            continue
        style = str(plans[g.plan_id].meta.get("style", "")) if f == "injection" else ""
        d = float(g.score) - float(ref.score)  # type: ignore[arg-type]
        scanner = bool(g.meta.get("scanner", True))
        deltas[(f, "", scanner)][g.goal_id].append(d)
        if style:
            deltas[(f, style, scanner)][g.goal_id].append(d)
    uplift = []
    for (f, style, scanner), per_goal in sorted(deltas.items()):
        goal_means = [float(np.mean(v)) for _, v in sorted(per_goal.items())]
        uplift.append({"family": f, "style": style or "all", "scanner": scanner,
                       **_uplift(goal_means, n_boot, level, seed)})

    # Self-consistency over seeds, references only.
    by_plan: dict[str, list[float]] = defaultdict(list)
    for g in grades:
        if fam[g.plan_id] == "reference" and g.meta.get("scanner", True) and usable(g):
            by_plan[g.plan_id].append(float(g.score))  # type: ignore[arg-type]
    sds = [float(np.std(v, ddof=1)) for v in by_plan.values() if len(v) >= 2]

    degraded = [s for f in DEGRADED for s in scores.get(f, [])]
    summary = {
        "grades": len(grades),
        "parse_rate": sum(usable(g) for g in grades) / len(grades) if grades else None,
        "accuracy_given_parse": right / labelled if labelled else None,
        "labelled_items": labelled,
        "grader_auc": auc(scores["reference"], degraded),
        "reference_mean": float(np.mean(scores["reference"])) if scores["reference"] else None,
        # 1: every plan got the same score, so no AUC above chance was possible.
        "distinct_scores": len({round(float(g.score), 9) for g in base}),  # type: ignore[arg-type]
        "removed_recall": hits / eligible if eligible else None,
        "removed_eligible": eligible,
        "false_flip_rate": flips / others if others else None,
        "other_items": others,
        "consistency_sd": float(np.mean(sds)) if sds else None,
        "consistency_plans": len(sds),
        "flagged": sum("injection" in g.flags for g in grades if _base(g)),
    }
    return {"summary": summary, "families": families, "uplift": uplift}
