"""StudyConfig: names, counts and their consistency."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sciplan.study import StudyConfig


def test_names_are_generated_or_taken_from_the_list():
    assert StudyConfig(annotators=3).names() == ["annotator-01", "annotator-02", "annotator-03"]
    cfg = StudyConfig(annotator_names=["ada", "bo"], per_goal=2)
    assert cfg.annotators == 2 and cfg.names() == ["ada", "bo"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"annotators": 2, "per_goal": 3}, "per_goal=3 needs at least that many annotators"),
        ({"annotators": 3, "annotator_names": ["a", "b"]}, "annotators=3 but 2 annotator_names"),
        ({"annotator_names": ["a", "a"]}, "must be unique"),
        ({"annotators": 2, "colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_inconsistent_settings_are_refused(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        StudyConfig(**kwargs)


def test_base_url_loses_its_trailing_slash():
    assert StudyConfig(base_url="https://study.example.org/x/").base_url == "https://study.example.org/x"
