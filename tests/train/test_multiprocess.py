"""GRPO in two processes (`accelerate launch`, gloo on CPU) on the bundled model, then resumed.

TRL splits each goal's group of four plans two per process; sciplan grades the whole group
on the main process. Checked here on a real run: the groups stayed whole, the rewards TRL
normalised are the ones the main process graded, only the main process wrote the run's
files, validation ran once per validation step, and a resume continues from the checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.fake_grader import running
from helpers.net import free_port

pytestmark = pytest.mark.model

STEPS = 2


def launch(cfg: Path, steps: int, log: Path) -> subprocess.CompletedProcess:
    """`accelerate launch` of `sciplan train` over two CPU processes."""
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port()),
           "-m", "sciplan.cli.main", "train", "--config", str(cfg), "--steps", str(steps)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    with open(log, "w") as fh:
        return subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, timeout=1200)


@pytest.fixture(scope="module", params=["fake", pytest.param("bundled", marks=pytest.mark.slow)])
def run(request, tmp_path_factory, goals_file, kit):
    """Two launches: 2 steps, then resumed to 3. The grader: a latency-free fake (the plumbing,
    in `make test`) or the frozen bundled model through llama.cpp (`make test-slow`, ~3 min)."""
    root = tmp_path_factory.mktemp("ddp")
    out = root / "out"
    with contextlib.ExitStack() as stack:
        over: dict = {"num_generations": 4, "steps": STEPS, "validation": {"every": STEPS, "at_start": False}}
        if request.param == "fake":
            url = stack.enter_context(running(free_port()))
            over["grader"] = {"model": f"openai:fake@{url}"}
            over["validation"]["judge"] = f"openai:fake@{url}"
        cfg = kit.write_config(root / "train.yaml", kit.tiny_config(out, goals_file, **over))
        first = launch(cfg, STEPS, root / "first.log")
        assert first.returncode == 0, (root / "first.log").read_text()[-6000:]
        summary_first = json.loads((out / "summary.json").read_text())
        resumed = launch(cfg, STEPS + 1, root / "resumed.log")
        assert resumed.returncode == 0, (root / "resumed.log").read_text()[-6000:]
    return out, summary_first, (root / "first.log").read_text() + (root / "resumed.log").read_text()


def test_groups_split_over_processes_are_graded_whole_on_the_main_process(run, kit):
    out, _, _ = run
    metrics = [r for r in kit.read_jsonl(out / "metrics.jsonl") if "train/completions" in r]
    assert [r["step"] for r in metrics] == [1, 2, 3]  # one writer: each step logged once
    for r in metrics:
        assert r["train/completions"] == 4  # both processes' plans (2 each) in one grading
        assert r["train/grading/plans_per_goal"] == 4


def test_the_rewards_trl_normalised_are_the_ones_graded(run, kit):
    out, _, _ = run
    ours = {r["step"]: r for r in kit.read_jsonl(out / "metrics.jsonl") if "train/reward/mean" in r}
    state = json.loads((out / "checkpoints" / f"checkpoint-{STEPS + 1}" / "trainer_state.json").read_text())
    trl = {h["step"]: h for h in state["log_history"] if "reward" in h}
    assert sorted(trl) == [1, 2, 3]
    for step, h in trl.items():
        # TRL gathers every process's rewards before normalising per group and logging their mean.
        assert h["rewards/rubric_reward/mean"] == pytest.approx(ours[step]["train/reward/mean"], abs=1e-5)


def test_checkpoints_hold_every_process_state_and_the_run_resumed(run):
    out, first, log = run
    assert first["finished"] and first["steps"] == STEPS
    summary = json.loads((out / "summary.json").read_text())
    assert summary["finished"] and summary["steps"] == STEPS + 1
    last = out / "checkpoints" / f"checkpoint-{STEPS + 1}"
    assert (last / "rng_state_0.pth").is_file() and (last / "rng_state_1.pth").is_file()
    assert (out / "final" / "config.json").is_file()
    assert "Traceback" not in log


def test_validation_ran_once_per_validation_step(run, kit):
    out, _, _ = run
    steps = [r["step"] for r in kit.read_jsonl(out / "validation.jsonl")]
    assert steps == [STEPS, STEPS + 1]  # every 2 steps, and at the end; by the main process only
