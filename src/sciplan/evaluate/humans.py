"""Human labels, and how far each judge (and the jury) agrees with them.

This is the one implementation of human-vs-judge agreement: `sciplan.study` turns its
annotations into `HumanLabels` (and its plans and rubrics into records) and calls
`human_agreement` too.

A human-label file is CSV or JSONL, one label per row, of two kinds:

| kind | columns |
|---|---|
| preference | `goal_id`, `plan_a`, `plan_b`, `preferred` (`a`, `b`, `tie`, or the value of `plan_a`/`plan_b`) |
| rubric item | `goal_id`, `plan`, `index` (0-based rubric item), `satisfied` (true/false, 1/0, yes/no) |

A plan is named by its plan id or by a model string (that model's plans for the goal,
samples averaged). Any row may add `annotator`. The human study's `annotations.jsonl`
export (rows with `plan_a_id`, `plan_b_id`, `preference`, `items`) is read as is; only
submitted annotations (`status: done`) count.

How a judge's grades become labels comparable with a human's (usable grades only: a
failed grade, or one without a score, is no verdict):

- **Preference.** A judge prefers the plan it scored higher (its grades of a plan
  averaged; a model's plans averaged). **Ties are left out of κ, never a third label**:
  equal scores (within `TIE_TOL`) are a judge tie, counted in `judge_ties`; a human `tie`
  (the simple format allows it; the study does not) is counted in `human_ties`. κ and
  agreement are over the pairs where both sides prefer one plan.
- **Rubric items.** A judge's verdict on an item is the majority of its verdicts on the
  named plans; an exact half is no verdict, counted in `judge_ties`.
- **The jury** prefers by the mean of the judges' scores and decides an item by a strict
  majority of the judges that have a verdict on it (a split jury: `judge_ties`).
- A label whose plan has no usable grade by that judge is counted in `unmatched`.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from sciplan.errors import SciplanError
from sciplan.evaluate.frames import JURY, EvalData
from sciplan.evaluate.stats import TIE_TOL, cohen_kappa
from sciplan.records import Plan

__all__ = ["HumanItem", "HumanLabels", "HumanPreference", "human_agreement", "item_votes", "judge_item_verdict",
           "load_human_labels", "majority"]

COLUMNS = ["judge", "labels", "n", "agreement", "kappa", "judge_ties", "human_ties", "unmatched"]
_TRUE, _FALSE = {"true", "1", "yes", "y", "t"}, {"false", "0", "no", "n", "f"}


class HumanPreference(BaseModel):
    """A human's choice between two plans for a goal."""

    goal_id: str
    plan_a: str
    plan_b: str
    preferred: Literal["a", "b", "tie"]
    annotator: str = ""


class HumanItem(BaseModel):
    """A human's verdict on one rubric item of one plan."""

    goal_id: str
    plan: str
    index: int
    satisfied: bool
    annotator: str = ""


class HumanLabels(BaseModel):
    """Every label of a human-label file."""

    preferences: list[HumanPreference] = []
    items: list[HumanItem] = []


def _bool(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SciplanError(f"{where}: satisfied must be true/false, 1/0 or yes/no, not {value!r}")


def _rows(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SciplanError(f"{path}: no such human-label file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SciplanError(f"{path}: cannot read human labels ({exc})") from None
    if path.suffix.lower() == ".csv":
        return [
            {k: v for k, v in row.items() if k and v not in (None, "")} for row in csv.DictReader(text.splitlines())
        ]
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise SciplanError(f"{path}:{n}: not a JSON line ({exc})") from None
            if not isinstance(obj, dict):
                raise SciplanError(f"{path}:{n}: expected a JSON object")
            rows.append(obj)
    return rows


def _from_study(row: dict, labels: HumanLabels) -> None:
    # One study annotation: a pairwise preference plus item ticks for both arms.
    if row.get("status", "done") != "done":
        return
    goal, a, b, who = row["goal_id"], row["plan_a_id"], row["plan_b_id"], str(row.get("annotator", ""))
    if row.get("preference") in ("a", "b", "tie"):
        labels.preferences.append(
            HumanPreference(goal_id=goal, plan_a=a, plan_b=b, preferred=row["preference"], annotator=who)
        )
    for it in row.get("items") or []:
        for arm, pid in (("a", a), ("b", b)):
            labels.items.append(
                HumanItem(
                    goal_id=goal,
                    plan=pid,
                    index=int(it["index"]),
                    satisfied=bool(it.get(f"satisfied_{arm}")),
                    annotator=who,
                )
            )


def load_human_labels(path: str | os.PathLike[str]) -> HumanLabels:
    """Read a human-label file (CSV, JSONL, or a study's annotations.jsonl); errors name the file and row."""
    p = Path(path)
    labels = HumanLabels()
    for n, row in enumerate(_rows(p), start=1):
        where = f"{p} row {n}"
        try:
            if "plan_a_id" in row and "plan_b_id" in row:
                _from_study(row, labels)
            elif "preferred" in row:
                pref = str(row["preferred"]).strip()
                pref = {str(row.get("plan_a")): "a", str(row.get("plan_b")): "b"}.get(pref, pref.casefold())
                if pref not in ("a", "b", "tie"):
                    raise SciplanError(
                        f"{where}: preferred must be a, b, tie or one of the two plans, not {row['preferred']!r}"
                    )
                labels.preferences.append(HumanPreference.model_validate({**row, "preferred": pref}))
            elif "satisfied" in row:
                labels.items.append(HumanItem.model_validate({**row, "satisfied": _bool(row["satisfied"], where)}))
            else:
                raise SciplanError(f"{where}: neither a preference (preferred) nor an item label (satisfied)")
        except ValidationError as exc:
            first = exc.errors()[0]
            raise SciplanError(f"{where}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        except KeyError as exc:
            raise SciplanError(f"{where}: missing column {exc}") from None
    if not labels.preferences and not labels.items:
        raise SciplanError(f"{p}: no human labels found")
    return labels


def _resolve(data: EvalData, goal_id: str, ref: str) -> list[Plan]:
    plan = data.plans.get(ref)
    if plan is not None:
        return [plan] if plan.goal_id == goal_id else []
    return [p for p in data.plans.values() if p.goal_id == goal_id and p.model == ref]


def _side(sa: float | None, sb: float | None) -> str | None:
    if sa is None or sb is None or np.isnan(sa) or np.isnan(sb):
        return None
    return "tie" if abs(sa - sb) <= TIE_TOL else "a" if sa > sb else "b"


def _row(
    judge: str, kind: str, pairs: list[tuple[object, object]], judge_ties: int, human_ties: int, unmatched: int
) -> dict:
    x = [p for p, _ in pairs]
    y = [q for _, q in pairs]
    agree = sum(p == q for p, q in pairs) / len(pairs) if pairs else None
    return {
        "judge": judge,
        "labels": kind,
        "n": len(pairs),
        "agreement": agree,
        "kappa": cohen_kappa(x, y),
        "judge_ties": judge_ties,
        "human_ties": human_ties,
        "unmatched": unmatched,
    }


def majority(votes: list[bool]) -> bool | None:
    """True/False by strict majority; None for an exact half (or no vote)."""
    yes = sum(votes)
    return True if 2 * yes > len(votes) else False if 2 * yes < len(votes) else None


ItemVotes = dict[tuple[str, int, str], list[bool]]


def item_votes(data: EvalData) -> ItemVotes:
    """Every judge's item verdicts keyed by (plan id, 0-based item, judge)."""
    votes_of: ItemVotes = defaultdict(list)
    for row in data.items.itertuples(index=False):
        votes_of[(row.plan_id, row.index, row.judge)].append(bool(row.satisfied))
    return votes_of


def judge_item_verdict(data: EvalData, votes_of: ItemVotes, judge: str, h: HumanItem) -> tuple[bool, bool | None]:
    """(any verdict at all, the verdict) of a judge (or the jury) on the plan and item a human labelled."""
    per_judge = []
    for j in data.judges if judge == JURY else [judge]:
        votes = [v for p in _resolve(data, h.goal_id, h.plan) for v in votes_of.get((p.id, h.index, j), [])]
        if votes:
            per_judge.append(majority(votes))
    decided = [v for v in per_judge if v is not None]
    return bool(per_judge), (majority(decided) if decided else None)


def human_agreement(labels: HumanLabels, data: EvalData) -> pd.DataFrame:
    """Agreement and Cohen's κ between the human labels and each judge and the jury (rules: module notes)."""
    s = data.scores
    score = s.groupby(["plan_id", "judge"]).score.mean().to_dict()
    votes_of = item_votes(data)
    rows = []
    for judge in data.judges + [JURY]:
        pairs, judge_ties, human_ties, missing = [], 0, 0, 0
        for h in labels.preferences:
            means = []
            for ref in (h.plan_a, h.plan_b):
                vals = [score.get((p.id, judge), np.nan) for p in _resolve(data, h.goal_id, ref)]
                vals = [v for v in vals if not np.isnan(v)]
                means.append(float(np.mean(vals)) if vals else None)
            side = _side(*means)
            if side is None:
                missing += 1
            elif side == "tie":
                judge_ties += 1
            elif h.preferred == "tie":
                human_ties += 1
            else:
                pairs.append((h.preferred, side))
        rows.append(_row(judge, "preference", pairs, judge_ties, human_ties, missing))
        pairs, judge_ties, missing = [], 0, 0
        for h in labels.items:
            # Each judge's verdict: the majority of its verdicts over the named plans (for a
            # plan id, its grades of that plan); the jury's: a strict majority of the judges.
            seen, verdict = judge_item_verdict(data, votes_of, judge, h)
            if not seen:
                missing += 1
            elif verdict is None:
                judge_ties += 1
            else:
                pairs.append((h.satisfied, verdict))
        rows.append(_row(judge, "items", pairs, judge_ties, 0, missing))
    return pd.DataFrame(rows, columns=COLUMNS)
