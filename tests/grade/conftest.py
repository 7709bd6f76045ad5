"""Fixtures for the grading tests: a small goal, plans, scripted graders and their answers."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from helpers.scripted import scripted_model

from sciplan.grade import Grader, GraderConfig
from sciplan.records import Goal, Plan

GOAL = Goal(
    id="g-test",
    text="Find out whether watering frequency changes tomato yield in a greenhouse, within one season.",
    rubric=[
        "Compares at least three watering frequencies with replicated plots.",
        "Measures yield as fruit mass per plant at harvest.",
        "Controls light and temperature across plots.",
        "Uses a statistical test suited to the design, with the sample size justified.",
    ],
)

PLAN_TEXT = (
    "We grow 60 tomato plants in 12 plots and water them daily, every two days or every four days "
    "(four replicate plots each). At harvest we weigh all fruit per plant. Plots sit on one bench "
    "under the same lamps and a logged temperature. A one-way ANOVA on plot means compares the three "
    "schedules; 4 plots per arm give 80% power for a 20% difference."
)


def _verdicts(*violations: list[str], excerpt: str = "the plan says so", start: int = 1) -> str:
    """A violations-variant answer: one verdict per argument, indices from `start`."""
    return json.dumps({"verdicts": [
        {"index": i, "excerpt": excerpt, "reason": "because", "violations": v}
        for i, v in enumerate(violations, start=start)
    ]})


def _binary(*satisfied: bool, excerpt: str = "the plan says so") -> str:
    """A satisfied-kind answer (binary variant, or a rubric-only / guidelines-only view)."""
    return json.dumps({"verdicts": [
        {"index": i, "excerpt": excerpt, "reason": "because", "satisfied": s} for i, s in enumerate(satisfied, start=1)
    ]})


def _likert(score: int) -> str:
    return json.dumps({"reason": "fine", "score": score})


@pytest.fixture
def goal() -> Goal:
    return GOAL.model_copy(deep=True)


@pytest.fixture
def answers() -> SimpleNamespace:
    """Builders of grader answers: verdicts(...), binary(...), likert(n)."""
    return SimpleNamespace(verdicts=_verdicts, binary=_binary, likert=_likert)


@pytest.fixture
def make_plan():
    def make(text: str = PLAN_TEXT, k: int = 0, goal: Goal = GOAL) -> Plan:
        return Plan(id=f"p{k}", goal_id=goal.id, model="test", text=text, sample=k)

    return make


@pytest.fixture
def scripted_grader():
    """`scripted_grader(script_or_respond, **config)` -> a Grader over a scripted backend.

    Answers are schema (JSON) answers unless the test sets `answer="text"`."""

    def make(script=None, *, respond=None, spec: str = "openai:scripted@http://127.0.0.1:1/v1", **config) -> Grader:
        model = scripted_model(script, respond=respond, spec=spec, max_retries=1)
        return Grader(model, GraderConfig(**{"answer": "schema", **config}))

    return make
