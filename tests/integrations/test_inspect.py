"""The inspect_ai task and scorer, run by inspect_ai's own `eval` against OpenAI-compatible servers on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

# Installed by `make` (requirements/integrations-nodeps.txt): a missing one is a broken install, not a skip.
import inspect_ai  # noqa: E402, F401
import pytest

from helpers.fake_grader import running
from helpers.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def run_eval(goals_file, tmp_path, monkeypatch, model_url: str, model: str, grader: str, **task_args):
    from inspect_ai import eval as inspect_eval

    from sciplan.integrations.inspect import research_plans

    monkeypatch.setenv("LOCAL_API_KEY", "local")  # openai-api/local/...: chat completions, as llama.cpp serves
    [log] = inspect_eval(research_plans(goals=str(goals_file), grader=grader, **task_args), model=f"openai-api/local/{model}",
                         model_base_url=model_url, log_dir=str(tmp_path / "logs"), display="none", log_format="json")
    return log


def test_inspect_eval_scores_plans_with_the_sciplan_grader(goals_file, tmp_path, monkeypatch):
    with running(free_port()) as url:
        log = run_eval(goals_file, tmp_path, monkeypatch, url, "fake", f"openai:fake@{url}", max_tokens=64)
    assert log.status == "success", log.error
    assert len(log.samples) == 3
    for sample in log.samples:
        score = next(iter(sample.scores.values()))
        assert score.value == 1.0  # the fake policy writes a "good" plan, the fake grader satisfies every item
        assert "[x] 1." in score.explanation and score.metadata["failed"] is False
        assert set(score.metadata["violations"]) == {f"G{i}" for i in range(1, 8)}
        assert "rubric" in sample.metadata["goal"] and not any(
            item in str(sample.input) for item in sample.metadata["goal"]["rubric"])  # rubric never in the prompt
    metrics = log.results.scores[0].metrics
    assert metrics["mean"].value == 1.0 and metrics["grade_failed"].value == 0.0
    assert "stderr" in metrics


@pytest.mark.model
@pytest.mark.server
def test_inspect_eval_with_the_bundled_model_as_policy_and_grader(goals_file, tmp_path, monkeypatch, llama_server):
    # The grader as the bundled local model under the demo protocol (schema answers, bounded
    # strings): the defaults let a 135M model ramble through 2048-token answers for minutes.
    log = run_eval(goals_file, tmp_path, monkeypatch, llama_server, "smollm2", "local:smollm2",
                   max_tokens=48, limit=1, config=str(ROOT / "configs" / "grade" / "demo.yaml"))
    assert log.status == "success", log.error
    [sample] = log.samples
    score = next(iter(sample.scores.values()))
    assert 0.0 <= score.value <= 1.0 and score.explanation
    assert "mean" in log.results.scores[0].metrics


def test_the_inspect_command_runs_the_registered_task(goals_file, tmp_path):
    """`inspect eval sciplan/research_plans` (the entry point `make` installs), else the task file."""
    import os
    import subprocess
    import sys
    from importlib.metadata import entry_points
    from pathlib import Path

    import sciplan.integrations.inspect as module

    registered = any(ep.name == "sciplan" for ep in entry_points(group="inspect_ai"))
    target = "sciplan/research_plans" if registered else f"{Path(module.__file__)}@research_plans"
    with running(free_port()) as url:
        env = {**os.environ, "LOCAL_API_KEY": "local", "LOCAL_BASE_URL": url}
        out = subprocess.run([sys.executable, "-m", "inspect_ai", "eval", target, "--model", "openai-api/local/fake",
                              "-T", f"goals={goals_file}", "-T", f"grader=openai:fake@{url}", "-T", "limit=1",
                              "--log-dir", str(tmp_path / "logs"), "--display", "plain", "--log-format", "json"],
                             capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    [log_file] = (tmp_path / "logs").glob("*.json")
    from inspect_ai.log import read_eval_log

    log = read_eval_log(str(log_file))
    assert log.status == "success" and log.results.scores[0].metrics["mean"].value == 1.0
