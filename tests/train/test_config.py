"""Training configs as typed data: the paper's defaults, the shipped configs and ablations, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sciplan.errors import SciplanError
from sciplan.train import TrainConfig, load_train_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "train"


def test_defaults_follow_the_paper():
    c = TrainConfig()
    assert c.beta == 0.0  # KL off
    assert c.grader.model == "policy"  # a frozen copy of the initial policy
    assert c.grader.grader.view == "both" and c.grader.grader.variant == "violations"
    assert c.grader.reward.max_plan_length is not None  # the plan is length-limited, thinking is not


def test_every_shipped_config_loads():
    names = {p.stem for p in CONFIGS.glob("*.yaml")}
    assert {"demo", "paper_qwen3_30b", "qwen3_4b", "ablation_kl", "ablation_small_grader",
            "ablation_rubric_only", "ablation_guidelines_only", "sft_baseline", "sft_demo"} <= names
    for name in names:
        assert isinstance(load_train_config(CONFIGS / f"{name}.yaml"), TrainConfig)


def test_each_ablation_changes_one_thing_of_the_paper_setup():
    paper = load_train_config(CONFIGS / "paper_qwen3_30b.yaml").model_dump()

    def changed(name: str) -> dict:
        abl = load_train_config(CONFIGS / f"{name}.yaml").model_dump()
        return {k: abl[k] for k in abl if abl[k] != paper[k] and k != "run"}

    assert changed("ablation_kl") == {"beta": 0.04}
    assert set(changed("ablation_small_grader")) == {"grader"}
    assert load_train_config(CONFIGS / "ablation_small_grader.yaml").grader.model.startswith("openai:Qwen/Qwen3-4B@")
    assert load_train_config(CONFIGS / "ablation_rubric_only.yaml").grader.grader.view == "rubric"
    assert load_train_config(CONFIGS / "ablation_guidelines_only.yaml").grader.grader.view == "guidelines"
    assert load_train_config(CONFIGS / "sft_baseline.yaml").method == "sft"


def test_paper_config_splits_its_batch_over_eight_gpus():
    c = load_train_config(CONFIGS / "paper_qwen3_30b.yaml")
    assert c.per_device_batch_size(8) * 8 * c.gradient_accumulation_steps == c.goals_per_step * c.num_generations
    with pytest.raises(ValueError, match="split evenly"):
        c.per_device_batch_size(7)


def test_a_misspelt_key_is_an_error_naming_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: 3\nlearnig_rate: 0.1\n")
    with pytest.raises(SciplanError, match=r"bad.yaml: invalid TrainConfig: learnig_rate"):
        load_train_config(bad)


def test_base_configs_merge_and_cycles_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("steps: 7\ngrader: {outage_wait: 3}\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\ngrader: {outage_retries: 9}\n")
    b = load_train_config(tmp_path / "b.yaml")
    assert (b.steps, b.grader.outage_wait, b.grader.outage_retries) == (7, 3, 9)
    (tmp_path / "c.yaml").write_text("base: d.yaml\n")
    (tmp_path / "d.yaml").write_text("base: c.yaml\n")
    with pytest.raises(SciplanError, match="cycle"):
        load_train_config(tmp_path / "c.yaml")


def test_fingerprint_ignores_where_and_how_long_but_not_what():
    c = TrainConfig()
    assert c.fingerprint() == c.model_copy(update={"steps": 9, "output_dir": Path("x"), "run": "y"}).fingerprint()
    assert c.fingerprint() != c.model_copy(update={"learning_rate": 1.0}).fingerprint()
