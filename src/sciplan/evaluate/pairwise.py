"""A pairwise judge for evaluation: which of two plans is better, asked in both orders.

LLM judges prefer the plan shown first (or second) more often than chance. Each pair is
therefore judged twice, A first and B first; a plan wins only when both orders agree,
and a disagreement counts as a tie (position-inconsistent). The table reports each
model's win rate over the baseline by this judge, how often the two orders agreed, and
how often the plan shown first won (the judge's own position bias).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field

from sciplan.evaluate.stats import bootstrap_ci
from sciplan.jsonl import append_records, read_records
from sciplan.llm import BoundedAnswer, LLMError, Model, ModelSettings, get_model, stage
from sciplan.prompts import render
from sciplan.records import Goal, Plan, make_id

__all__ = ["PairVerdict", "PairwiseJudge", "judge_pairs", "pairwise_table"]

Choice = Literal["a", "b", "tie"]


class _Answer(BoundedAnswer):
    reason: str = ""
    better: str = ""
    bounded_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "reason": {"type": "string", "maxLength": 300},
            "better": {"type": "string", "enum": ["1", "2", "tie"]},
        },
        "required": ["reason", "better"],
    }


class PairVerdict(BaseModel):
    """One judge's verdict on one pair, in both orders; `winner` counts only when both orders agree."""

    id: str
    goal_id: str
    judge: str
    plan_a: str
    plan_b: str
    model_a: str
    model_b: str
    # The choice (in arms) when A was shown first, and when B was shown first; None: no usable answer.
    a_first: Choice | None = None
    b_first: Choice | None = None
    reasons: list[str] = Field(default_factory=list)

    @property
    def winner(self) -> Choice | None:
        """The arm both orders chose; "tie" when they disagree or both say tie; None if an order failed."""
        if self.a_first is None or self.b_first is None:
            return None
        return self.a_first if self.a_first == self.b_first else "tie"

    @property
    def consistent(self) -> bool | None:
        """Whether both orders gave the same verdict (None if an order failed)."""
        return None if self.a_first is None or self.b_first is None else self.a_first == self.b_first

    def first_shown_won(self) -> list[bool]:
        """For each order with a decisive verdict: did the plan shown first win?"""
        out = []
        if self.a_first in ("a", "b"):
            out.append(self.a_first == "a")
        if self.b_first in ("a", "b"):
            out.append(self.b_first == "b")
        return out


class PairwiseJudge:
    """Asks one model which of two plans is better, in both orders."""

    def __init__(self, model: Model | str, *, settings: ModelSettings | None = None, max_tokens: int = 300,
                 stage_name: str | None = "eval-pairwise") -> None:
        self.model = get_model(model, settings) if isinstance(model, str) else model
        self.max_tokens = max_tokens
        self.stage_name = stage_name

    @property
    def name(self) -> str:
        return self.model.name

    async def _ask(self, goal: Goal, first: Plan, second: Plan) -> tuple[str | None, str]:
        tag = make_id("fence", first.text, second.text, length=12)
        prompt = render("evaluate/pairwise.j2", goal=goal.text.strip(), rubric=list(goal.rubric),
                        first=first.text.strip(), second=second.text.strip(), tag=tag)
        ctx = stage(self.stage_name) if self.stage_name else contextlib.nullcontext()
        try:
            with ctx:
                res = await self.model.generate_structured([{"role": "user", "content": prompt}], _Answer,
                                                           max_tokens=self.max_tokens)
        except LLMError as exc:
            return None, f"model call failed: {exc}"
        if res.value is None:
            return None, f"unusable answer: {res.error}"
        better = str(res.value.better).strip().lower()
        if better not in ("1", "2", "tie"):
            return None, f"unusable answer: better={better!r}"
        return better, str(res.value.reason)[:300]

    async def judge(self, goal: Goal, plan_a: Plan, plan_b: Plan) -> PairVerdict:
        """Both orders of one pair (concurrently)."""
        (x, rx), (y, ry) = await asyncio.gather(self._ask(goal, plan_a, plan_b), self._ask(goal, plan_b, plan_a))
        a_first: Choice | None = None if x is None else ("a" if x == "1" else "b" if x == "2" else "tie")
        b_first: Choice | None = None if y is None else ("b" if y == "1" else "a" if y == "2" else "tie")
        return PairVerdict(
            id=make_id("pair", goal.id, plan_a.id, plan_b.id, self.name), goal_id=goal.id, judge=self.name,
            plan_a=plan_a.id, plan_b=plan_b.id, model_a=plan_a.model, model_b=plan_b.model,
            a_first=a_first, b_first=b_first, reasons=[rx, ry],
        )


async def judge_pairs(goals: Sequence[Goal], plans: Sequence[Plan], config: Any, out: Path) -> int:
    """Each configured pairwise judge on every model's first plan vs the baseline's, per goal; resumed by id."""
    path = out / "pairwise.jsonl"
    done = {v.id for v in read_records(path, PairVerdict)}
    first: dict[tuple[str, str], Plan] = {}
    for p in plans:
        key = (p.goal_id, p.model)
        if p.model in config.models and (key not in first or p.sample < first[key].sample):
            first[key] = p
    judges = [PairwiseJudge(m, settings=config.settings) for m in config.pairwise]
    work = []
    for judge in judges:
        for goal in goals:
            base = first.get((goal.id, config.baseline))
            for model in config.models:
                mine = first.get((goal.id, model))
                if model == config.baseline or base is None or mine is None:
                    continue
                if make_id("pair", goal.id, mine.id, base.id, judge.name) not in done:
                    work.append(judge.judge(goal, mine, base))
    verdicts = await asyncio.gather(*work)
    append_records(path, verdicts)
    return len(verdicts)


def pairwise_table(verdicts: Sequence[PairVerdict], *, n_boot: int = 2000, level: float = 0.95, seed: int = 0,
                   clusters: dict[str, str] | None = None) -> pd.DataFrame:
    """Per judge × model (arm a) vs baseline (arm b): win rate (ties half) with a CI, order agreement, first-shown wins."""
    cols = ["judge", "model", "baseline", "pairs", "wins", "ties", "losses", "win_rate", "ci_low", "ci_high",
            "order_agreement", "first_shown_won", "failed"]
    rows = []
    keys = sorted({(v.judge, v.model_a, v.model_b) for v in verdicts})
    for judge, model, baseline in keys:
        vs = [v for v in verdicts if (v.judge, v.model_a, v.model_b) == (judge, model, baseline)]
        ok = [v for v in vs if v.winner is not None]
        points = [1.0 if v.winner == "a" else 0.5 if v.winner == "tie" else 0.0 for v in ok]
        lab = [clusters.get(v.goal_id, v.goal_id) for v in ok] if clusters else None
        lo, hi = bootstrap_ci(points, clusters=lab, n_boot=n_boot, level=level, seed=seed)
        first = [w for v in vs for w in v.first_shown_won()]
        rows.append({
            "judge": judge, "model": model, "baseline": baseline, "pairs": len(ok),
            "wins": sum(v.winner == "a" for v in ok), "ties": sum(v.winner == "tie" for v in ok),
            "losses": sum(v.winner == "b" for v in ok),
            "win_rate": sum(points) / len(points) if points else None, "ci_low": lo, "ci_high": hi,
            "order_agreement": sum(bool(v.consistent) for v in ok) / len(ok) if ok else None,
            "first_shown_won": sum(first) / len(first) if first else None,
            "failed": len(vs) - len(ok),
        })
    return pd.DataFrame(rows, columns=cols)
