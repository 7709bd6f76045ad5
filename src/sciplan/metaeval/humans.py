"""Human agreement, HealthBench-style: each judge against the annotators' majority, per rubric item.

Units are (goal, plan, rubric item) labelled by at least one annotator. The reference
label is the annotators' strict majority; units where they split evenly are **split**
units, reported apart (how many, and how often the judge said satisfied on them). Each
judge's verdict comes from `sciplan.evaluate.judge_item_verdict` (the one mapping of
grades to item labels that `sciplan eval` and the study use too). The **human band**:
each annotator scored, the same way, against the majority of the *other* annotators
(leave-one-out, on units where the others have a strict majority).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sciplan.evaluate.frames import JURY, EvalData
from sciplan.evaluate.humans import HumanItem, HumanLabels, item_votes, judge_item_verdict, majority
from sciplan.evaluate.stats import binary_agreement

__all__ = ["item_agreement"]

Unit = tuple[str, str, int]


def _units(labels: HumanLabels) -> dict[Unit, list[HumanItem]]:
    units: dict[Unit, list[HumanItem]] = defaultdict(list)
    for h in labels.items:
        units[(h.goal_id, h.plan, h.index)].append(h)
    return units


def _band(units: dict[Unit, list[HumanItem]]) -> list[dict[str, Any]]:
    """Each annotator against the majority of the others (leave-one-out)."""
    annotators = sorted({h.annotator for hs in units.values() for h in hs})
    rows = []
    for a in annotators:
        ref, pred = [], []
        for hs in units.values():
            mine = [h.satisfied for h in hs if h.annotator == a]
            others = majority([h.satisfied for h in hs if h.annotator != a])
            if mine and others is not None:
                ref.append(others)
                pred.append(mine[0])
        if ref:
            rows.append({"annotator": a, **binary_agreement(ref, pred)})
    return rows


def item_agreement(labels: HumanLabels, data: EvalData) -> dict[str, Any]:
    """Per judge (and the jury): confusion, precision/recall of both classes, macro F1, κ; the human band."""
    units = _units(labels)
    votes = item_votes(data)
    judges = data.judges + ([JURY] if len(data.judges) > 1 else [])
    rows = []
    for judge in judges:
        ref, pred, unmatched, no_verdict = [], [], 0, 0
        split_n = split_sat = 0
        for hs in units.values():
            seen, verdict = judge_item_verdict(data, votes, judge, hs[0])
            if not seen:
                unmatched += 1
                continue
            if verdict is None:
                no_verdict += 1
                continue
            human = majority([h.satisfied for h in hs])
            if human is None:
                split_n += 1
                split_sat += verdict
                continue
            ref.append(human)
            pred.append(verdict)
        rows.append({"judge": judge, **binary_agreement(ref, pred), "split_units": split_n,
                     "split_judge_satisfied": split_sat / split_n if split_n else None,
                     "judge_ties": no_verdict, "unmatched": unmatched})
    band = _band(units)
    f1s = [r["macro_f1"] for r in band if r["macro_f1"] is not None]
    return {
        "units": len(units),
        "split_units": sum(majority([h.satisfied for h in hs]) is None for hs in units.values()),
        "judges": rows,
        "annotators": band,
        "band": {"min": min(f1s), "mean": sum(f1s) / len(f1s), "max": max(f1s)} if f1s else None,
    }
