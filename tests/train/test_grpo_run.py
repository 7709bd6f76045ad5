"""A real 2-step GRPO run on the CPU: the bundled model with LoRA, the real in-process grader
(llama.cpp), validation, checkpoints saved, loaded and resumed. One run serves every test here."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest

from sciplan.llm import ModelSettings, get_model, ledger
from sciplan.train import (
    ValidationSettings,
    latest_checkpoint,
    load_train_config,
    read_scalars,
    run_training,
)

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def trained(tmp_path_factory, goals_file, fresh_policy, kit):
    root = tmp_path_factory.mktemp("grpo")
    cfg_path = kit.write_config(root / "train.yaml", kit.tiny_config(root / "out", goals_file))
    config = load_train_config(cfg_path)
    result = run_training(config, policy=fresh_policy())
    return SimpleNamespace(root=root, cfg_path=cfg_path, config=config, result=result, out=root / "out")


def test_two_steps_graded_by_the_in_process_grader(trained):
    r = trained.result
    assert r.steps == 2 and not r.skipped
    assert [t["step"] for t in r.timings] == [1.0, 2.0]
    for t in r.timings:
        assert t["generation"] > 0 and t["grading"] > 0 and t["total"] >= t["generation"] + t["grading"]
    rows = {m["step"]: m for m in r.metrics}
    assert sorted(rows) == [1.0, 2.0]
    for m in rows.values():
        assert m["completions"] == 2
        # Every plan got a grade or is counted as a failed one: never a silent 0.
        assert m["grader/failures"] == 2 or "reward/mean" in m
        assert "plan_length/mean" in m and "monitor/keyword_overlap" in m
    # The grades came from the frozen bundled grader, with the rubric it alone sees.
    assert "local:smollm2" in {row.model for row in ledger.rows() if row.stage == "train"}


def test_metrics_go_to_tensorboard_and_jsonl(trained, kit):
    scalars = read_scalars(trained.out / "tensorboard")
    assert {"train/plan_length/mean", "train/grader/failure_rate", "validation/reward"} <= set(scalars)
    assert [s for s, _ in scalars["train/plan_length/mean"]] == [1, 2]
    assert any(k.startswith("train/violations/") for k in scalars) or scalars["train/grader/failure_rate"][0][1] == 1
    steps = {row["step"] for row in kit.read_jsonl(trained.out / "metrics.jsonl")}
    assert {0, 1, 2} <= steps


def test_validation_before_after_and_best_checkpoint(trained, kit):
    r = trained.result
    assert r.before is not None and r.before.step == 0 and r.before.plans == 1
    assert r.after is not None and r.after.step == 2
    assert [v["step"] for v in kit.read_jsonl(trained.out / "validation.jsonl")] == [0, 2]
    assert r.best is not None and r.best.step in (0, 2)
    assert json.loads((trained.out / "best" / "best.json").read_text())["step"] == r.best.step
    assert (trained.out / "best" / "config.json").is_file()  # a merged, plain HF model
    plans = kit.read_jsonl(trained.out / "validation_plans.jsonl")
    assert {p["goal_id"] for p in plans} == {"t-held"} and "reward" in plans[0]["meta"]
    summary = json.loads((trained.out / "summary.json").read_text())
    assert summary["finished"] and summary["before"]["step"] == 0 and summary["after"]["step"] == 2


def test_checkpoints_are_saved_and_load_as_lora_adapters(trained, fresh_policy):
    ckpt = latest_checkpoint(trained.out)
    assert ckpt is not None and ckpt.name == "checkpoint-2"
    assert (trained.out / "checkpoints" / "checkpoint-1" / "adapter_config.json").is_file()
    # The adapter names a base that load_policy resolves (not the GGUF's folder).
    assert json.loads((ckpt / "adapter_config.json").read_text())["base_model_name_or_path"] == "smollm2"
    from peft import PeftModel
    from safetensors.torch import load_file

    model = PeftModel.from_pretrained(fresh_policy()[0], str(ckpt), is_trainable=True)
    saved = load_file(str(ckpt / "adapter_model.safetensors"))
    name, tensor = next((k, v) for k, v in saved.items() if "lora_B" in k)
    loaded = dict(model.named_parameters())[name.replace(".lora_B.weight", ".lora_B.default.weight")]
    assert loaded.requires_grad  # loaded to go on training
    assert bool((loaded.detach() == tensor).all())


def test_final_model_is_usable_as_an_hf_model_string(trained):
    spec = trained.result.model_spec
    assert spec == f"hf:{trained.out / 'final'}"
    model = get_model(spec, ModelSettings(cache=False))
    comp = asyncio.run(model.generate([{"role": "user", "content": "Name one metric."}], max_tokens=4))
    assert comp.usage.completion_tokens > 0


def test_rerunning_a_finished_run_does_nothing(trained):
    again = run_training(trained.config)
    assert again.skipped and again.steps == 2
    assert again.before.reward == trained.result.before.reward
    assert sorted(p.name for p in (trained.out / "checkpoints").glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2"]


def test_an_interrupted_run_resumes_from_its_last_checkpoint(trained, tmp_path, fresh_policy):
    out = tmp_path / "out"
    shutil.copytree(trained.out, out)
    # What a crash during step 2 leaves: checkpoint-1, no final model, an unfinished summary.
    shutil.rmtree(out / "final")
    shutil.rmtree(out / "checkpoints" / "checkpoint-2")
    summary = json.loads((out / "summary.json").read_text())
    (out / "summary.json").write_text(json.dumps({**summary, "finished": False, "steps": 1}))
    config = trained.config.model_copy(update={"output_dir": out, "validation": ValidationSettings(every=0, at_start=False)})
    result = run_training(config, policy=fresh_policy())
    assert not result.skipped and result.steps == 2
    assert [t["step"] for t in result.timings] == [2.0]  # only the missing step was trained
    state = json.loads((out / "checkpoints" / "checkpoint-2" / "trainer_state.json").read_text())
    assert [h["step"] for h in state["log_history"] if "loss" in h] == [1, 2]
    assert (out / "final" / "config.json").is_file()


def test_a_run_with_other_settings_in_the_same_folder_is_refused(trained):
    other = trained.config.model_copy(update={"learning_rate": 0.5})
    with pytest.raises(Exception, match="other settings"):
        run_training(other)


def test_cli_reports_a_finished_run(trained):
    env = {**os.environ, "COLUMNS": "160"}
    out = subprocess.run([sys.executable, "-m", "sciplan.cli.main", "train", "--config", str(trained.cfg_path)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    assert "nothing to do" in out.stdout
    assert "held-out reward before" in out.stdout and "hf:" in out.stdout
