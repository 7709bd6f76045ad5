"""`sciplan export verl`: verl's parquet rows, a reward module verl can import, and its command."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from helpers.scripted import scripted_model
from sciplan.errors import SciplanError
from sciplan.grade import Grader, GraderConfig, RewardConfig, RubricReward
from sciplan.train.verl import VerlReward


@pytest.fixture(scope="module")
def exported(tmp_path_factory, goals_file, kit):
    root = tmp_path_factory.mktemp("verl")
    cfg = kit.write_config(root / "t.yaml", kit.tiny_config(root / "out", goals_file))
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "sciplan.cli.main", "export", "verl", "--config", str(cfg),
                          "--out", str(root / "verl"), "--gpus", "4"], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    return root / "verl", out.stdout


def test_parquet_rows_are_in_verls_format_with_the_rubric_only_in_ground_truth(exported, kit):
    import pyarrow.parquet as pq

    folder, _ = exported
    train = pq.read_table(folder / "train.parquet").to_pylist()
    val = pq.read_table(folder / "val.parquet").to_pylist()
    assert [r["extra_info"]["goal_id"] for r in train] == ["t-ml", "t-med"]
    assert [r["extra_info"]["goal_id"] for r in val] == ["t-held"]
    for row, goal in zip(train + val, kit.GOALS, strict=True):
        assert set(row) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
        assert [m["role"] for m in row["prompt"]] == ["system", "user"]
        prompt = " ".join(m["content"] for m in row["prompt"])
        assert goal.text in prompt and not any(item in prompt for item in goal.rubric)
        truth = json.loads(row["reward_model"]["ground_truth"])
        assert truth == {"goal_id": goal.id, "goal": goal.text, "rubric": goal.rubric}


def test_the_command_runs_grpo_with_the_sciplan_reward(exported):
    folder, stdout = exported
    script = (folder / "run_verl.sh").read_text()
    for arg in ("algorithm.adv_estimator=grpo", f"data.train_files={folder.resolve() / 'train.parquet'}",
                f"reward.custom_reward_function.path={folder.resolve() / 'sciplan_reward.py'}",
                "reward.custom_reward_function.name=compute_score", "reward.reward_manager.name=naive",
                "actor_rollout_ref.rollout.n=2", "actor_rollout_ref.actor.use_kl_loss=False",
                "trainer.n_gpus_per_node=4", "actor_rollout_ref.model.lora_rank=4"):
        assert arg in script
    assert "python3 -m verl.trainer.main_ppo" in stdout


@pytest.mark.model
def test_the_written_reward_module_grades_with_the_real_grader(exported):
    import pyarrow.parquet as pq

    folder, _ = exported
    spec = importlib.util.spec_from_file_location("sciplan_reward_under_test", folder / "sciplan_reward.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    row = pq.read_table(folder / "val.parquet").to_pylist()[0]
    plan = "Report BLEU on WMT14 before and after pruning heads ranked by importance."
    [score] = module.compute_score_batch(data_sources=["sciplan"], solution_strs=[plan],
                                         ground_truths=[row["reward_model"]["ground_truth"]], extra_infos=[row["extra_info"]])
    assert isinstance(score["score"], float) and score["grade_failed"] == 0.0
    assert score["score"] == score["rubric_score"] - score["format_penalty"]


def _verdict(satisfied: bool) -> str:
    return json.dumps({"verdicts": [{"index": i, "excerpt": "the plan", "reason": "r", "violations": [] if satisfied else ["G1"]}
                                    for i in (1, 2)]})


def test_a_failed_grade_gets_its_groups_mean_never_a_silent_zero(kit):
    goal = kit.GOALS[0]
    answers = {"good": _verdict(True), "bad": _verdict(False)}

    def respond(request):
        text = request.messages[-1]["content"]
        return next((a for key, a in answers.items() if f"plan {key}" in text), "not json at all")

    grader = Grader(scripted_model(respond=respond), GraderConfig(retries=0))
    reward = VerlReward(RubricReward(grader, {}, RewardConfig()), outage_retries=0)
    truth = json.dumps({"goal_id": goal.id, "goal": goal.text, "rubric": goal.rubric})
    try:
        scores = reward.score_batch(["plan good", "plan bad", "plan broken", "plan good " + "word " * 800], [truth] * 4)
        assert [s["score"] for s in scores] == [1.0, 0.0, 1 / 3, 0.0]  # the last one is over the length limit
        assert [s["grade_failed"] for s in scores] == [0.0, 0.0, 1.0, 0.0]
        assert scores[3]["format_penalty"] == 1.0
        with pytest.raises(SciplanError, match="every grade of goal"):
            reward.score_one("plan broken", truth)
        with pytest.raises(SciplanError, match="not a sciplan goal"):
            reward.score_one("plan good", "42", {"index": 7})
    finally:
        reward.close()
