"""A grader server that dies mid-run: the step's grading is retried, or its grades are recorded
as failed (reward None, left out by TRL), per the configured policy; training never crashes
and never silently rewards 0. The server is a real llama.cpp server, killed for real."""

from __future__ import annotations

import asyncio
import logging
import math
import subprocess
import sys
import threading
import time

import pytest
from transformers import TrainerCallback

from helpers.net import free_port, wait_http
from sciplan.errors import SciplanError
from sciplan.grade import Grader, GraderConfig, RewardConfig, RubricReward
from sciplan.llm import ModelSettings, get_model
from sciplan.train import GraderSettings, StepReward, build_grpo, load_train_config

pytestmark = [pytest.mark.model, pytest.mark.server]

# Schema answers: the 135M grader cannot answer the plain-text protocol an openai: grader gets by default.
GRADER = GraderConfig(max_tokens=200, excerpt_chars=20, reason_chars=20, retries=0, answer="schema")
FAST = {"cache": False, "max_retries": 1, "backoff_base": 0.05, "backoff_max": 0.1, "timeout": 120}


def start_server(gguf, port: int, log) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sciplan.llm.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
         "--n-ctx", "4096", "--threads", "2"],
        stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    wait_http(f"http://127.0.0.1:{port}/health", timeout=120, proc=proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)


class KillAfter(TrainerCallback):
    """Kills the grader's server at the end of a step."""

    def __init__(self, proc: subprocess.Popen, step: int) -> None:
        self.proc, self.step = proc, step

    def on_step_end(self, args, state, control, **kw):
        if state.global_step == self.step:
            stop(self.proc)


def test_training_goes_on_with_failed_grades_when_the_grader_dies(tmp_path, goals_file, bundled_gguf_path, fresh_policy, kit):
    port = free_port()
    with open(tmp_path / "server.log", "w") as log:
        proc = start_server(bundled_gguf_path, port, log)
        try:
            data = kit.tiny_config(tmp_path / "out", goals_file,
                               grader={"model": f"openai:smollm2@http://127.0.0.1:{port}/v1", "settings": FAST,
                                       "grader": GRADER.model_dump(exclude_defaults=True),
                                       "outage_retries": 1, "outage_wait": 0.2, "on_outage": "skip"},
                               validation={"every": 0, "at_start": False}, save_every=0, max_completion_length=8)
            run = build_grpo(load_train_config(kit.write_config(tmp_path / "t.yaml", data)), policy=fresh_policy())
            run.trainer.add_callback(KillAfter(proc, 1))
            result = run.train()
        finally:
            stop(proc)
    assert result.steps == 2 and (tmp_path / "out" / "final" / "config.json").is_file()
    step1, step2 = ({k: v for k, v in m.items()} for m in result.metrics)
    assert step1["grader/failures"] == 0 and "reward/mean" in step1  # graded while the server lived
    assert step2["grader/failures"] == 2 and step2["grader/failure_rate"] == 1.0
    assert math.isnan(step2["reward/mean"])  # no reward at all, rather than a silent 0
    assert all(p.reward is None and p.failed and "grader_unreachable" in p.flags for p in run.reward.last)
    logged = [h for h in run.trainer.state.log_history if h.get("step") == 2 and "reward" in h]
    # TRL left the failed completions out: its logged mean reward is missing (NaN, logged as None), not 0.
    assert logged and (logged[0]["reward"] is None or math.isnan(logged[0]["reward"]))


def test_the_step_is_retried_until_the_grader_is_back(tmp_path, bundled_gguf_path, caplog, kit):
    goal = kit.GOALS[0]
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    with open(tmp_path / "server.log", "w") as log:
        proc = start_server(bundled_gguf_path, port, log)
        stop(proc)  # the server dies between steps
        restarted: list[subprocess.Popen] = []

        def restart() -> None:
            time.sleep(1.0)
            restarted.append(start_server(bundled_gguf_path, port, log))

        thread = threading.Thread(target=restart)
        thread.start()
        try:
            grader = Grader(get_model(f"openai:smollm2@{url}", ModelSettings(**FAST)), GRADER, stage_name="train")
            reward = RubricReward(grader, {goal.id: goal}, RewardConfig(max_plan_length=50))
            step = StepReward(reward, {goal.id: goal}, GraderSettings(outage_retries=120, outage_wait=1.0))
            plans = ["We compute expected calibration error with and without label smoothing.", "Train two models."]
            with caplog.at_level(logging.WARNING, logger="sciplan.train.step_reward"):
                rewards = asyncio.run(step([[]] * 2, plans, goal_id=[goal.id] * 2))
        finally:
            thread.join()
            for p in restarted:
                stop(p)
    assert any("retrying the step's grading" in r.getMessage() for r in caplog.records)
    # Once the server is back, the grader answered for every plan (a 135M grader may still give
    # an unusable verdict now and then: that is a failed grade, not an outage).
    assert len(rewards) == 2 and all(p.grade is not None and p.grade.grader == grader.name for p in step.last)
    assert not any("grader_unreachable" in p.flags for p in step.last)
    assert step.history[-1]["grader/failures"] == sum(p.grade.failed for p in step.last)


def test_the_stop_policy_ends_the_run_naming_the_grader(kit):
    goal = kit.GOALS[0]
    spec = f"openai:smollm2@http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    grader = Grader(get_model(spec, ModelSettings(**FAST)), GRADER)
    step = StepReward(RubricReward(grader, {goal.id: goal}), {goal.id: goal},
                      GraderSettings(outage_retries=1, outage_wait=0.0, on_outage="stop"))
    with pytest.raises(SciplanError, match=r"grader openai:smollm2@.* unreachable after 2 tries"):
        asyncio.run(step([[]], ["A plan."], goal_id=[goal.id]))
