"""Failure views: every mean both with failed grades as 0 and left out, with the reasons."""

import io

import pytest
from rich.console import Console

from sciplan.cli.grade import summary_tables
from sciplan.grade import failure_reason, failure_view, load_guidelines, summarize
from sciplan.records import Grade, GradeItem


def g(gid, score=None, failed=False, error=None, grader="j", reward=None, variant="violations", items=()):
    return Grade(id=gid, goal_id="g", plan_id=gid, grader=grader, score=score, failed=failed, error=error,
                 reward=reward, variant=variant, items=list(items))


GRADES = [
    g("a", 1.0, reward=0.5), g("b", 0.5, reward=0.5),
    g("c", failed=True, error="no valid verdict after 3 attempt(s): no <item> blocks"),
    g("d", failed=True, error="no valid verdict after 2 attempt(s): answer cut"),
    g("e", failed=True, error="model call failed: HTTP 500"),
]


def test_a_mean_both_ways_with_the_count_and_commonest_reasons():
    v = failure_view(GRADES)
    assert v.n == 5 and v.failed == 3
    assert v.mean == pytest.approx(0.75) and v.mean_as_zero == pytest.approx(1.5 / 5)
    assert v.reasons == [("no valid verdict after N attempt(s)", 2), ("model call failed", 1)]
    assert v.text() == "0.750 (0.300 with 3 failed as 0)"
    assert failure_view([]).mean is None and failure_view([]).text() == "—"
    assert failure_reason(None) == "unknown"


def test_summaries_carry_both_views_for_score_and_reward():
    (s,) = summarize(GRADES, ("G1",))
    assert s.failed == 3 and s.score.mean == pytest.approx(0.75) and s.score.mean_as_zero == pytest.approx(0.3)
    assert s.reward.mean == pytest.approx(0.5) and s.reward.mean_as_zero == pytest.approx(0.2)
    assert s.mean_score == s.score.mean


def test_violation_rates_only_where_items_name_guidelines():
    items = [GradeItem(index=1, violations=["D2"]), GradeItem(index=2)]
    paper = g("p", 0.5, variant="paper", grader="p", items=items)
    likert = g("l", 0.5, variant="likert", grader="l", items=items)
    rates = {s.grader: s.violation_rates for s in summarize([paper, likert], ("D1", "D2"))}
    assert rates == {"p": {"D1": 0.0, "D2": 0.5}, "l": {}}


def test_the_grade_table_shows_both_views_and_the_reasons():
    console = Console(file=io.StringIO(), width=200)
    for table in summary_tables(GRADES, load_guidelines()):
        console.print(table)
    out = console.file.getvalue()
    assert "score, failed as 0" in out and "0.300" in out and "0.750" in out
    assert "Why grades failed" in out and "no valid verdict after N attempt(s)" in out
