"""Small evaluations built from records: goals, plans and grades with known numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from sciplan.plan import plan_id
from sciplan.records import Goal, Grade, GradeItem, Plan, make_id

SCRIPT_PLAN = "## Plan\n\nUse a **held-out** split.\n\n<script>window.__pwned = 1; alert('pwned')</script>\n\nDone."


@dataclass
class Records:
    goals: list[Goal]
    plans: list[Plan]
    grades: list[Grade]


def grade(
    goal: Goal,
    plan: Plan,
    judge: str,
    satisfied: list[bool],
    violations: list[list[str]] | None = None,
    *,
    failed: bool = False,
) -> Grade:
    """A grade with one item per rubric item; score = share satisfied (None when failed)."""
    violations = violations or [[] if s else ["G1"] for s in satisfied]
    items = [
        GradeItem(index=i, item=goal.rubric[i], violations=v, satisfied=s, reason=f"reason {i}")
        for i, (s, v) in enumerate(zip(satisfied, violations, strict=False))
    ]
    return Grade(
        id=make_id("grade", plan.id, judge),
        goal_id=goal.id,
        plan_id=plan.id,
        grader=judge,
        items=[] if failed else items,
        score=None if failed else sum(satisfied) / len(satisfied),
        failed=failed,
        error="could not parse" if failed else None,
    )


def synthetic(
    n_goals: int = 6,
    models=("m:base", "m:tuned"),
    judges=("j:one", "j:two"),
    samples: int = 1,
    seed: int = 0,
    script_plan: bool = True,
) -> Records:
    """Goals over two domains; the tuned model satisfies more items; judges disagree a little."""
    rng = np.random.default_rng(seed)
    goals = [
        Goal(
            id=f"g{i}",
            text=f"Goal {i}: find out whether X{i} causes Y.",
            domain="ml" if i % 2 else "medical",
            rubric=[f"Item {k} of goal {i}." for k in range(4)],
        )
        for i in range(n_goals)
    ]
    plans, grades = [], []
    for goal in goals:
        for m_i, model in enumerate(models):
            for k in range(samples):
                text = (
                    SCRIPT_PLAN
                    if (script_plan and goal.id == "g0" and m_i == 1 and k == 0)
                    else f"Plan of {model} for {goal.id}."
                )
                plan = Plan(id=plan_id(goal.id, model, k), goal_id=goal.id, model=model, text=text, sample=k, tokens=10)
                plans.append(plan)
                truth = rng.random(4) < (0.35 + 0.3 * m_i)
                for j_i, judge in enumerate(judges):
                    flip = rng.random(4) < 0.15 * j_i
                    sat = [bool(t ^ f) for t, f in zip(truth, flip, strict=False)]
                    viol = [[] if s else (["G1", "G3"] if (n + j_i) % 2 else ["G2"]) for n, s in enumerate(sat)]
                    grades.append(grade(goal, plan, judge, sat, viol))
    return Records(goals, plans, grades)


@pytest.fixture
def records() -> Records:
    return synthetic()


# The hand-worked evaluation: 3 goals × 2 rubric items, models A (baseline) and B, judges J1 and J2.
HAND = {
    ("J1", "A"): {"g1": [True, False], "g2": [False, False], "g3": [False, True]},
    ("J1", "B"): {"g1": [True, True], "g2": [True, False], "g3": [True, False]},
    ("J2", "A"): {"g1": [True, False], "g2": [False, True], "g3": [False, False]},
    ("J2", "B"): {"g1": [True, True], "g2": [False, False], "g3": [True, True]},
}


def hand_records() -> Records:
    """Scores: J1 A .5/0/.5, B 1/.5/.5; J2 A .5/.5/0, B 1/0/1; jury A .5/.25/.25, B 1/.25/.75."""
    goals = [
        Goal(id=g, text=f"Goal {g}.", domain="bio" if g == "g3" else "ml", rubric=[f"{g} item one", f"{g} item two"])
        for g in ("g1", "g2", "g3")
    ]
    by_id = {g.id: g for g in goals}
    plans = [
        Plan(id=plan_id(g.id, m, 0), goal_id=g.id, model=m, text=f"{m} plan for {g.id}")
        for m in ("A", "B")
        for g in goals
    ]
    grades = []
    for (judge, model), marks in HAND.items():
        for gid, sat in marks.items():
            grades.append(
                grade(by_id[gid], next(p for p in plans if p.goal_id == gid and p.model == model), judge, sat)
            )
    return Records(goals, plans, grades)


@pytest.fixture
def hand() -> Records:
    return hand_records()


@pytest.fixture
def make_grade():
    """The `grade(goal, plan, judge, satisfied, violations=None, failed=False)` factory."""
    return grade


# ---- a real evaluation with the bundled model (one per test session; the cache makes reuse free) ----
# No repair turns for the grader: a verdict of the 135M model parses or is marked failed, fast.

REAL_CONFIG = """\
models: [local:smollm2]
jury: [local:smollm2]
plan: {max_tokens: 80, max_words: 60}
grader: {max_tokens: 480, excerpt_chars: 40, reason_chars: 40, retries: 0}
stats: {bootstrap: 500}
examples: 2
"""

# A plan with markup a browser would run, seeded for one goal: the real grader grades it,
# and the report must show it as text.
HOSTILE_PLAN = """## Design

1. Randomise 300 patients from the two rural clinics to telemonitoring or usual care.
2. Primary outcome: systolic blood pressure at 12 months, measured with a validated device.

<script>window.__pwned = 1; alert('pwned')</script>

| arm | n |
|---|---|
| telemonitoring | 150 |
| usual care | 150 |
"""


@dataclass
class RealEval:
    out: object
    config_path: object
    goals_path: object
    result: object
    hostile_plan_id: str


@pytest.fixture(scope="session")
def real_eval(tmp_path_factory, _isolated_cache) -> RealEval:
    """`run_eval` with the bundled model writing and grading plans for two held-out shipped goals (4 items each)."""
    import asyncio

    from sciplan.data import data_path
    from sciplan.evaluate import load_eval_config, run_eval
    from sciplan.jsonl import append_records, read_records

    root = tmp_path_factory.mktemp("real-eval")
    config_path = root / "eval.yaml"
    config_path.write_text(REAL_CONFIG)
    goals = [
        g for g in read_records(data_path("train_goals.jsonl"), Goal) if g.id in ("heldout-phys-1", "heldout-med-1")
    ]
    goals_path = root / "goals.jsonl"
    append_records(goals_path, [g for g in goals if g.id == "heldout-phys-1"])
    out = root / "eval"
    hostile = Plan(
        id=plan_id("heldout-med-1", "local:smollm2", 0),
        goal_id="heldout-med-1",
        model="local:smollm2",
        text=HOSTILE_PLAN,
        meta={"seeded": "test"},
    )
    append_records(out / "plans.jsonl", [hostile])
    result = asyncio.run(run_eval(goals, load_eval_config(config_path), out))
    return RealEval(out, config_path, goals_path, result, hostile.id)
