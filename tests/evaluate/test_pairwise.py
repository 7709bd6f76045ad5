"""The pairwise judge on a scripted backend: both orders asked, agreement required, position bias counted."""

from __future__ import annotations

import json
import re

import pytest

from helpers.scripted import scripted_model
from sciplan.evaluate.pairwise import PairVerdict, PairwiseJudge, pairwise_table
from sciplan.records import Goal, Plan

GOAL = Goal(id="g", text="Does mulch raise soil moisture?", rubric=["Measures moisture weekly."])
A = Plan(id="pa", goal_id="g", model="tuned", text="Weekly moisture probes in 12 mulched and 12 bare plots.")
B = Plan(id="pb", goal_id="g", model="base", text="Look at the soil.")


def first_plan(request) -> str:
    return re.search(r"<<<PLAN 1 \w+>>>\n(.*?)\n<<<END PLAN 1", request.messages[0]["content"], re.S).group(1)


def says(better: str) -> str:
    return json.dumps({"reason": "r", "better": better})


async def test_both_orders_are_asked_and_a_consistent_judge_gives_a_winner():
    # A judge that sees quality: it picks the probe plan wherever it is shown.
    model = scripted_model(respond=lambda r: says("1" if "probes" in first_plan(r) else "2"), max_retries=1)
    v = await PairwiseJudge(model).judge(GOAL, A, B)
    firsts = sorted(first_plan(r) for r in model.backend.requests)
    assert firsts == sorted([A.text, B.text])  # A first once, B first once
    assert (v.a_first, v.b_first, v.winner, v.consistent) == ("a", "a", "a", True)
    assert v.first_shown_won() == [True, False]


async def test_a_judge_that_always_picks_the_first_plan_gets_a_tie():
    model = scripted_model(respond=lambda r: says("1"), max_retries=1)
    v = await PairwiseJudge(model).judge(GOAL, A, B)
    assert (v.a_first, v.b_first, v.winner, v.consistent) == ("a", "b", "tie", False)
    assert v.first_shown_won() == [True, True]


async def test_an_unusable_answer_leaves_no_winner():
    model = scripted_model(respond=lambda r: "no json", max_retries=1, structured_retries=0)
    v = await PairwiseJudge(model).judge(GOAL, A, B)
    assert v.a_first is None and v.winner is None and "unusable" in v.reasons[0]


def test_the_table_counts_wins_agreement_and_first_shown_wins():
    def pv(i, x, y):
        return PairVerdict(id=str(i), goal_id=f"g{i}", judge="j", plan_a="a", plan_b="b", model_a="tuned",
                           model_b="base", a_first=x, b_first=y)

    vs = [pv(0, "a", "a"), pv(1, "a", "a"), pv(2, "a", "b"), pv(3, "b", "b"), pv(4, None, "a")]
    row = pairwise_table(vs, n_boot=200).iloc[0]
    assert (row.pairs, row.wins, row.ties, row.losses, row.failed) == (4, 2, 1, 1, 1)
    assert row.win_rate == pytest.approx(2.5 / 4) and row.order_agreement == pytest.approx(3 / 4)
    # Did the plan shown first win, per decisive order: (a,a) ✓✗ twice, (a,b) ✓✓, (b,b) ✗✓, (—,a) ✗: 5 of 9.
    assert row.first_shown_won == pytest.approx(5 / 9)


@pytest.mark.model
async def test_the_bundled_model_as_a_pairwise_judge(_isolated_cache):
    from sciplan.llm import ModelSettings

    judge = PairwiseJudge("local:smollm2", settings=ModelSettings(cache=False, n_threads=2), max_tokens=48)
    v = await judge.judge(GOAL, A, B)
    # The 135M model's answers are schema-bound: each order gives a choice or says why it could not.
    for choice, reason in ((v.a_first, v.reasons[0]), (v.b_first, v.reasons[1])):
        assert choice in ("a", "b", "tie") or reason.startswith("unusable")
    assert pairwise_table([v], n_boot=100).iloc[0].pairs == (1 if v.winner is not None else 0)
