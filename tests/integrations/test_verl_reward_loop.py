"""`sciplan export verl` inside verl 0.9's own Reward Loop: its config, its custom-reward loading,
its `RewardLoopWorker` and reward manager over a `DataProto` built from the exported parquet
with a real tokenizer (the bundled model's)."""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

# Installed by `make` (requirements/integrations-nodeps.txt): a missing one is a broken install, not a skip.
import verl  # noqa: E402

from helpers.fake_grader import running
from helpers.net import free_port

PLANS = {  # at most 10 words: the tiny config's plan length limit
    "t-ml": ["A good plan: compare ECE with and without smoothing.", "Train once and look."],
    "t-med": ["A good plan: regress readmission on steps, adjust age.", "Ask nurses."],
}


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> Path:
    """The bundled model's tokenizer as an HF folder (what verl's `hf_tokenizer` loads)."""
    from transformers import AutoTokenizer

    from sciplan.llm import bundled_gguf

    gguf = bundled_gguf()
    out = tmp_path_factory.mktemp("tokenizer")
    AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(out)
    return out


def export(root: Path, goals_file: Path, kit, grader: str | None) -> Path:
    cfg = kit.write_config(root / "t.yaml", kit.tiny_config(root / "out", goals_file))
    args = ["export", "verl", "--config", str(cfg), "--out", str(root / "verl"), "--gpus", "1"]
    out = subprocess.run([sys.executable, "-m", "sciplan.cli.main", *args, *(["--grader", grader] if grader else [])],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    return root / "verl"


def verl_config(folder: Path, tokenizer_dir: Path):
    """verl's generated trainer config with the exported command's overrides applied."""
    from omegaconf import OmegaConf

    base = OmegaConf.load(Path(verl.__file__).parent / "trainer" / "config" / "_generated_ppo_trainer.yaml")
    script = (folder / "run_verl.sh").read_text().split("set -euo pipefail\n", 1)[1].replace("\\\n", " ")
    overrides = [a for a in shlex.split(script)[3:] if "=" in a]
    cfg = OmegaConf.merge(base, OmegaConf.from_dotlist(overrides))
    cfg.actor_rollout_ref.model.path = str(tokenizer_dir)  # the policy the export names is a hub id here
    return cfg


def dataproto(folder: Path, tokenizer, plans: dict[str, list[str]] = PLANS):
    """A rollout batch as verl's trainer hands it to the reward loop: prompts left-padded, responses right-padded."""
    import numpy as np
    import pyarrow.parquet as pq
    import torch
    from verl import DataProto

    rows = pq.read_table(folder / "train.parquet").to_pylist()
    prompts, responses, meta = [], [], []
    for row in rows:
        ids = tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, tokenize=True)
        ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
        for plan in plans[row["extra_info"]["goal_id"]]:
            prompts.append(list(ids))
            responses.append(tokenizer(plan + tokenizer.eos_token, add_special_tokens=False)["input_ids"])
            meta.append(row)
    P, R, pad = max(map(len, prompts)), max(map(len, responses)), tokenizer.pad_token_id or 0
    p_ids = torch.tensor([[pad] * (P - len(p)) + p for p in prompts])
    r_ids = torch.tensor([r + [pad] * (R - len(r)) for r in responses])
    mask = torch.tensor([[0] * (P - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (R - len(r))
                         for p, r in zip(prompts, responses, strict=True)])
    obj = lambda xs: np.array(xs, dtype=object)  # noqa: E731
    return DataProto.from_dict(
        tensors={"prompts": p_ids, "responses": r_ids, "input_ids": torch.cat([p_ids, r_ids], 1), "attention_mask": mask},
        non_tensors={"data_source": obj([m["data_source"] for m in meta]), "reward_model": obj([m["reward_model"] for m in meta]),
                     "extra_info": obj([dict(m["extra_info"]) for m in meta])},
    ), responses


def run_reward_loop(cfg, data):
    """verl's RewardLoopWorker over the batch, and the rm_scores its manager class assembles."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker
    from verl.trainer.ppo.reward import resolve_reward_manager_cls

    from sciplan.llm import close_models

    async def main():
        worker = RewardLoopWorker(cfg)  # loads the custom reward function from the exported module
        try:
            return worker, await worker.compute_score_batch(data)
        finally:
            await close_models()

    worker, outputs = asyncio.run(main())
    scores = [o["reward_score"] for o in outputs]
    return worker, outputs, resolve_reward_manager_cls(cfg).assemble_rm_scores(data, scores)


def test_verls_reward_loop_scores_the_exported_rows_and_groups_each_goal(tmp_path, goals_file, kit, tokenizer_dir):
    from transformers import AutoTokenizer

    with running(free_port()) as url:
        folder = export(tmp_path, goals_file, kit, f"openai:fake@{url}")
        cfg = verl_config(folder, tokenizer_dir)
        assert cfg.reward.custom_reward_function.name == "compute_score"
        data, responses = dataproto(folder, AutoTokenizer.from_pretrained(tokenizer_dir))
        worker, outputs, rm_scores = run_reward_loop(cfg, data)
    assert [o["reward_score"] for o in outputs] == [1.0, 0.0, 1.0, 0.0]
    assert [o["reward_extra_info"]["grade_failed"] for o in outputs] == [0.0] * 4
    # verl puts each reward on the response's last token.
    for i, r in enumerate(responses):
        assert rm_scores[i, len(r) - 1].item() == outputs[i]["reward_score"]
        assert rm_scores[i].abs().sum() == abs(outputs[i]["reward_score"])
    # The concurrent per-response calls were graded per goal: two groups, not four.
    reward = worker.reward_manager.compute_score.args[0].__globals__["_reward"]
    assert sum(b.groups_graded for b in reward._batchers.values()) == 2


@pytest.mark.model
def test_verls_reward_loop_with_the_bundled_grader(tmp_path, goals_file, kit, tokenizer_dir):
    from transformers import AutoTokenizer

    folder = export(tmp_path, goals_file, kit, None)  # the frozen policy as grader: the bundled model
    data, _ = dataproto(folder, AutoTokenizer.from_pretrained(tokenizer_dir))
    _, outputs, rm_scores = run_reward_loop(verl_config(folder, tokenizer_dir), data)
    assert len(outputs) == 4 and rm_scores.shape[0] == 4
    for o in outputs:
        info = o["reward_extra_info"]
        assert isinstance(o["reward_score"], float) and -1.0 <= o["reward_score"] <= 1.0
        if not info["grade_failed"]:
            assert o["reward_score"] == pytest.approx(info["rubric_score"] - info["format_penalty"])


@pytest.fixture
def ray_local():
    """A local Ray instance on this machine's CPUs, as verl's trainer starts one."""
    import ray

    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=200 * 1024 * 1024)
    try:
        yield ray
    finally:
        ray.shutdown()


def test_verls_reward_workers_on_ray_grade_whole_groups_through_the_reward_service(tmp_path, goals_file, kit,
                                                                                   tokenizer_dir, ray_local):
    """verl's own RewardLoopManager with two Ray reward workers splits goal t-ml's three responses
    2 + 1; both workers post to one `sciplan serve reward`, which grades the group once."""
    import httpx
    from transformers import AutoTokenizer
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager

    from helpers.net import wait_http

    plans = {"t-ml": ["A good plan: compare ECE with and without smoothing.", "Train once and look.",
                      "A good plan: also compare ECE over five seeds."],
             "t-med": ["A good plan: regress readmission on steps, adjust age."]}
    port = free_port()
    with running(free_port()) as grader_url:
        service = subprocess.Popen(
            [sys.executable, "-m", "sciplan.cli.main", "serve", "reward", "--grader", f"openai:fake@{grader_url}",
             "--goals", str(goals_file), "--port", str(port), "--no-cache", "--batch-window", "1.0"],
            stdout=open(tmp_path / "service.log", "w"), stderr=subprocess.STDOUT)
        try:
            wait_http(f"http://127.0.0.1:{port}/health", timeout=120, proc=service)
            folder = tmp_path / "verl"
            export(tmp_path, goals_file, kit, None)  # in-process settings first, to compare the command
            in_process = (folder / "run_verl.sh").read_text()
            args = ["export", "verl", "--config", str(tmp_path / "t.yaml"), "--out", str(folder), "--gpus", "1",
                    "--reward-url", f"http://127.0.0.1:{port}"]
            subprocess.run([sys.executable, "-m", "sciplan.cli.main", *args], check=True, capture_output=True, timeout=300)
            assert "reward.num_workers=1" in in_process  # in-process grading: one worker keeps groups whole
            assert "reward.num_workers" not in (folder / "run_verl.sh").read_text()
            cfg = verl_config(folder, tokenizer_dir)
            cfg.reward.num_workers = 2
            data, responses = dataproto(folder, AutoTokenizer.from_pretrained(tokenizer_dir), plans)
            manager = RewardLoopManager(cfg)
            manager.compute_rm_score(data)  # warm-up: both workers up and connected
            before = httpx.get(f"http://127.0.0.1:{port}/metrics").json()
            out = manager.compute_rm_score(data)
            after = httpx.get(f"http://127.0.0.1:{port}/metrics").json()
        finally:
            service.terminate()
            service.wait(timeout=30)
    rm = out.batch["rm_scores"]
    assert [rm[i, len(r) - 1].item() for i, r in enumerate(responses)] == [1.0, 0.0, 1.0, 1.0]
    assert list(out.non_tensor_batch["grade_failed"]) == [0.0] * 4
    # Two groups (t-ml's three responses from two workers, t-med's one), not three.
    assert after["groups_graded"] - before["groups_graded"] == 2
