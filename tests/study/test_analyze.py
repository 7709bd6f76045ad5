"""The study's statistics against hand-worked values and scipy/statsmodels."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from sciplan.study import analyze, preference_test
from sciplan.study.analyze import rubric_stats, score_stats


def two_sided_binomial_p(k: int, n: int) -> float:
    """Exact two-sided p of k successes in n fair trials (symmetric: twice the smaller tail)."""
    tail = sum(Fraction(math.comb(n, i), 2**n) for i in range(max(k, n - k), n + 1))
    return float(min(Fraction(1), 2 * tail))


def test_preference_seven_of_ten_by_hand():
    p = preference_test(7, 10)
    # P(X >= 7) = (120 + 45 + 10 + 1) / 1024 = 176/1024; two-sided: 0.34375.
    assert p.p_value == pytest.approx(0.34375)
    assert p.rate == pytest.approx(0.7) and p.se == pytest.approx(math.sqrt(0.7 * 0.3 / 10))
    low, high = proportion_confint(7, 10, alpha=0.05, method="beta")  # Clopper-Pearson
    assert (p.ci_low, p.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert p.ci_low == pytest.approx(0.3475, abs=1e-4) and p.ci_high == pytest.approx(0.9333, abs=1e-4)


def test_preference_like_the_paper_seventy_of_a_hundred():
    p = preference_test(70, 100)
    assert p.p_value == pytest.approx(two_sided_binomial_p(70, 100), rel=1e-9)
    assert p.p_value < 1e-4  # the paper's p < 0.0001
    assert p.se == pytest.approx(0.0458, abs=1e-4)
    low, high = proportion_confint(70, 100, alpha=0.10, method="beta")
    p90 = preference_test(70, 100, confidence=0.90)
    assert (p90.ci_low, p90.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_no_preferences_give_an_empty_result():
    p = preference_test(0, 0)
    assert (p.n, p.rate, p.p_value) == (0, None, None)


def test_scores_by_hand():
    s = score_stats([(8, 6), (5, 7), (9, 4), (7, 7)])
    assert (s.n, s.mean_a, s.mean_b, s.mean_diff) == (4, 7.25, 6.0, 1.25)
    assert s.sd_a == pytest.approx(math.sqrt(8.75 / 3))
    # Differences 2, -2, 5 (the 0 dropped): ranks 1.5, 1.5, 3 -> W- = 1.5.
    ref = stats.wilcoxon([8, 5, 9, 7], [6, 7, 4, 7], zero_method="wilcox")
    assert ref.statistic == pytest.approx(1.5)
    assert s.p_value == pytest.approx(ref.pvalue)
    assert score_stats([(5, 5), (6, 6)]).p_value is None  # no difference at all: no test
    assert score_stats([]).n == 0


def test_rubric_rates_by_hand(four_annotations):
    r = rubric_stats(four_annotations)
    assert r.judgments == 8
    assert r.satisfied_a == pytest.approx(5 / 8) and r.satisfied_b == pytest.approx(3 / 8)
    # 7 approval answers (one left blank), 5 yes.
    assert (r.approval_answers, r.approval_rate) == (7, pytest.approx(5 / 7))
    # Items: g1#0 [T,T] yes, g1#1 [T,F] split -> no, g2#0 [F] no, g3#0 yes, g3#1 yes (g2#1 unanswered).
    assert (r.items, r.items_approved) == (5, pytest.approx(3 / 5))


def test_the_whole_report(four_annotations, make_annotation):
    T, F = True, False
    started = make_annotation("A5", "g4", "a", [(T, F)], [T], (9, 1), annotator="ann3", status="started")
    r = analyze(four_annotations + [started])
    assert (r.annotations, r.goals, r.annotators, r.model_a, r.model_b) == (4, 3, 2, "ma", "mb")
    # Per annotation: a, b, a, b.
    assert (r.preference.k, r.preference.n, r.preference.p_value) == (2, 4, pytest.approx(1.0))
    # Per goal: g1 split (left out), g2 a, g3 b.
    assert (r.preference_by_goal.k, r.preference_by_goal.n) == (1, 2)
    assert (r.scores.mean_a, r.scores.mean_b) == (7.25, 6.0)
    assert r.minutes_median == pytest.approx(1.0)
    assert r.inter_annotator.goals == 1 and r.jury == []

    with_started = analyze(four_annotations + [started], include_started=True)
    assert (with_started.annotations, with_started.preference.k, with_started.preference.n) == (5, 3, 5)
    assert with_started.minutes_mean == pytest.approx(1.0)  # time only from submitted ones


def test_a_report_serialises_to_json(four_annotations):
    r = analyze(four_annotations)
    again = type(r).model_validate_json(r.model_dump_json())
    assert again == r
