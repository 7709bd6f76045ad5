"""The length guard against hand-computed values, and the score–length correlation monitor."""

from __future__ import annotations

import numpy as np
import pytest

from sciplan.grade import RewardParts
from sciplan.grade.reward import FormatCheck
from sciplan.train.config import MonitorSettings
from sciplan.train.length_guard import LengthGuardSettings, guard_lengths
from sciplan.train.monitors import HackingMonitor, score_length_correlation


def part(length: int, score: float | None = 0.8, penalty: float = 0.0, missing: bool = False) -> RewardParts:
    check = FormatCheck("plan", None, length, missing, False, False, penalty)
    reward = None if score is None else score - penalty
    return RewardParts(reward, score, penalty, check)


def test_penalty_relative_to_the_group_median():
    parts = [part(10), part(20), part(40), part(30, penalty=0.25), part(100)]
    groups = ["g", "g", "g", "h", "h"]
    out, lost = guard_lengths(parts, groups, LengthGuardSettings(mode="penalty", coef=0.5, max_penalty=0.4))
    # Group g: median 20; 40 words is one unit of excess: 0.5, capped at 0.4. Group h: median 65,
    # 100 words: (100/65 − 1) · 0.5. Plans at or under the median keep their reward.
    assert lost == pytest.approx([0.0, 0.0, 0.4, 0.0, 0.5 * (100 / 65 - 1)])
    assert [p.reward for p in out] == pytest.approx([0.8, 0.8, 0.4, 0.55, 0.8 - 0.5 * (100 / 65 - 1)])
    assert "length_guard" in out[2].flags and "length_guard" not in out[0].flags


def test_normalise_scales_the_score_of_longer_plans():
    parts = [part(10, 0.5), part(20, 0.5), part(40, 1.0, penalty=0.1)]
    out, lost = guard_lengths(parts, ["g"] * 3, LengthGuardSettings(mode="normalise", power=1.0))
    # 40 words against a median of 20: the score 1.0 is halved; the penalty still applies.
    assert out[2].reward == pytest.approx(1.0 * 20 / 40 - 0.1) and lost[2] == pytest.approx(0.5)


def test_off_failed_grades_and_missing_plans_are_untouched():
    parts = [part(10), part(500, score=None), part(0, score=0.0, missing=True), part(12)]
    assert guard_lengths(parts, ["g"] * 4, LengthGuardSettings())[0] == parts
    out, lost = guard_lengths(parts, ["g"] * 4, LengthGuardSettings(mode="penalty"))
    assert out[1].reward is None and lost[1] == 0.0  # a failed grade has no reward to cut
    with pytest.raises(ValueError, match="one group key per reward part"):
        guard_lengths(parts, ["g"], LengthGuardSettings(mode="penalty"))


def test_score_length_correlation_per_step():
    scores = [0.2, 0.4, None, 0.6, 0.9]
    lengths = [50, 80, 10, 120, 200]
    expected = np.corrcoef([0.2, 0.4, 0.6, 0.9], [50, 80, 120, 200])[0, 1]
    assert score_length_correlation(scores, lengths) == pytest.approx(expected)
    assert score_length_correlation([0.5, 0.5, 0.5], [1, 2, 3]) is None  # no spread in scores
    values, _ = HackingMonitor(MonitorSettings()).observe_step(1, lengths, [], [], scores=scores)
    assert values["score_length_corr"] == pytest.approx(expected)
