"""Checkpoint choice on held-out goals: failed judge grades are counted, not scored 0; ties go early."""

from __future__ import annotations

from sciplan.grade import RewardConfig, check_format, combine, split_completion
from sciplan.records import Grade
from sciplan.train import ValidationResult, choose_best
from sciplan.train.validation import summarize_validation

CFG = RewardConfig()


def judged(score, failed=False):
    g = Grade(id="g", goal_id="x", plan_id="p", grader="judge", score=score, failed=failed)
    return combine(check_format(split_completion("a plan"), CFG), g, CFG)


def test_summary_leaves_failed_grades_out():
    r = summarize_validation(5, [judged(0.5), judged(None, failed=True), judged(1.0)], [judged(0.9)])
    assert (r.step, r.reward, r.score, r.grader_score, r.plans, r.failed) == (5, 0.75, 0.75, 0.9, 3, 1)
    assert summarize_validation(6, [judged(None, failed=True)]).reward is None


def test_best_is_the_highest_and_the_earliest_on_ties():
    results = [ValidationResult(0, 0.2, 0.3), ValidationResult(10, 0.5, 0.4), ValidationResult(20, 0.5, 0.6),
               ValidationResult(30, None, None)]
    assert choose_best(results).step == 10
    assert choose_best(results, "score").step == 20
    assert choose_best([ValidationResult(0, None, None)]) is None
