"""Grading configs are typed YAML: defaults, sections, relative paths, clear errors."""

import pytest

from sciplan.errors import SciplanError
from sciplan.grade import GraderConfig, GradingConfig, RewardConfig, load_grading_config


def test_defaults_are_the_papers_protocol():
    cfg = load_grading_config(None)
    assert cfg == GradingConfig()
    assert (cfg.grader.variant, cfg.grader.view, cfg.grader.on_injection) == ("violations", "both", "remove")
    assert cfg.reward.on_failed == "skip" and cfg.reward.length_unit == "words"


def test_a_yaml_file_sets_both_sections(tmp_path):
    (tmp_path / "sets").mkdir()
    (tmp_path / "sets" / "g.yaml").write_text("guidelines:\n  - {id: A, name: n, text: t}\n")
    path = tmp_path / "grading.yaml"
    path.write_text("grader:\n  variant: binary\n  view: rubric\n  guidelines: sets/g.yaml\n"
                    "reward:\n  max_plan_length: 300\n  length_unit: tokens\n  on_failed: zero\n")
    cfg = load_grading_config(path)
    assert isinstance(cfg.grader, GraderConfig) and isinstance(cfg.reward, RewardConfig)
    assert cfg.grader.variant == "binary" and cfg.grader.guidelines == (tmp_path / "sets" / "g.yaml").resolve()
    assert cfg.reward.max_plan_length == 300 and cfg.reward.on_failed == "zero"


@pytest.mark.parametrize("body,why", [
    ("grader:\n  variant: stars\n", "variant"),
    ("grader:\n  varient: binary\n", "varient"),
    ("reward:\n  on_failed: maybe\n", "on_failed"),
    ("reward:\n  max_plan_length: 0\n", "max_plan_length"),
])
def test_mistakes_are_named_with_the_file(tmp_path, body, why):
    path = tmp_path / "c.yaml"
    path.write_text(body)
    with pytest.raises(SciplanError, match=why) as err:
        load_grading_config(path)
    assert str(path) in str(err.value)
