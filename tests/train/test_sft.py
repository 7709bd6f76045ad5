"""The SFT baseline on reference solutions with TRL's SFTTrainer (the paper's negative result)."""

from __future__ import annotations

import json

import pytest

from sciplan.errors import SciplanError
from sciplan.train import build_grpo, build_sft, load_train_config, run_training

pytestmark = pytest.mark.model


def test_sft_trains_on_references_and_saves_a_usable_model(tmp_path, goals_file, fresh_policy, kit):
    data = kit.tiny_config(tmp_path / "out", goals_file, method="sft", save_every=0,
                           validation={"every": 0, "at_start": False},
                           sft={"steps": 2, "batch_size": 2, "max_length": 256})
    config = load_train_config(kit.write_config(tmp_path / "sft.yaml", data))
    result = run_training(config, policy=fresh_policy())
    assert result.steps == 2
    assert (tmp_path / "out" / "final" / "config.json").is_file()
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["finished"]
    losses = [r for r in kit.read_jsonl(tmp_path / "out" / "metrics.jsonl") if "sft/loss" in r]
    assert len(losses) == 2 and all(r["sft/loss"] > 0 for r in losses)
    assert run_training(config).skipped  # a finished baseline is not trained again


def test_methods_are_not_mixed_up(tmp_path, goals_file, kit):
    grpo = load_train_config(kit.write_config(tmp_path / "g.yaml", kit.tiny_config(tmp_path / "o", goals_file)))
    with pytest.raises(SciplanError, match="SFT baseline needs method: sft"):
        build_sft(grpo)
    with pytest.raises(SciplanError, match="use the SFT baseline"):
        build_grpo(grpo.model_copy(update={"method": "sft"}))
