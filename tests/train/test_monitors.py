"""Reward-hacking monitors: each symptom as a number, a warning past its threshold."""

from __future__ import annotations

import pytest

from sciplan.train import (
    HackingMonitor,
    MonitorSettings,
    length_growth,
    rubric_keyword_overlap,
)

RUBRIC = ["Measures expected calibration error.", "Compares against a baseline without label smoothing."]
GOAL = "Test whether label smoothing improves calibration."


def test_keyword_overlap_counts_rubric_words_not_in_the_goal():
    assert rubric_keyword_overlap("We train a model.", RUBRIC, GOAL) == 0.0
    stuffed = "measures expected error compares against baseline"
    assert rubric_keyword_overlap(stuffed, RUBRIC, GOAL) == pytest.approx(1.0)
    # "calibration", "label", "smoothing" are in the goal: repeating them is not stuffing.
    assert rubric_keyword_overlap("label smoothing calibration", RUBRIC, GOAL) == 0.0


def test_length_growth_is_relative_to_the_fitted_start():
    assert length_growth([100, 100, 100]) == 0.0
    assert length_growth([100, 150, 200]) == pytest.approx(1.0)
    assert length_growth([5]) == 0.0


def test_step_monitors_warn_past_their_thresholds(caplog):
    mon = HackingMonitor(MonitorSettings(window=3, length_growth=0.5, keyword_overlap=0.5, injection_rate=0.1))
    for step, length in enumerate([50, 50, 50], start=1):
        _, alerts = mon.observe_step(step, [length], [0.1], [False])
        assert alerts == []
    values, alerts = mon.observe_step(4, [200], [0.9], [True, False])
    assert values["keyword_overlap"] == 0.9 and values["injection_rate"] == 0.5
    assert {a.monitor for a in alerts} == {"length_growth", "keyword_overlap", "injection_rate"}
    assert "reward-hacking monitor" in caplog.text and len(mon.alerts) == 3


def test_divergence_is_measured_from_the_first_validation():
    mon = HackingMonitor(MonitorSettings(divergence=0.15))
    assert mon.observe_validation(0, 0.6, 0.5) == ({"divergence": pytest.approx(0.1), "divergence_drift": 0.0}, [])
    _, alerts = mon.observe_validation(10, 0.7, 0.55)
    assert alerts == []
    values, alerts = mon.observe_validation(20, 0.9, 0.5)
    assert values["divergence_drift"] == pytest.approx(0.3) and alerts[0].monitor == "divergence"
    assert mon.observe_validation(30, None, 0.5) == ({}, [])
