"""The verifiers environment, loaded by verifiers' own `load_environment` and run by its `vf-eval` entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Installed by `make` (requirements/integrations-nodeps.txt): a missing one is a broken install, not a skip.
import verifiers  # noqa: E402, F401

from helpers.fake_grader import running
from helpers.net import free_port

ENV_DIR = Path(__file__).resolve().parents[2] / "environments" / "sciplan_research_plans"


def _env() -> dict[str, str]:
    # The environment package as `vf-install` would make it importable.
    path = os.pathsep.join([str(ENV_DIR), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "LOCAL_API_KEY": "local"}


def vf_eval(tmp_path: Path, model_url: str, model: str, args: dict, n: int = 2, r: int = 2) -> tuple[dict, list[dict]]:
    out = subprocess.run(
        [sys.executable, "-m", "verifiers.legacy.scripts.eval", "sciplan-research-plans", "-m", model, "-b", model_url,
         "-k", "LOCAL_API_KEY", "-n", str(n), "-r", str(r), "--disable-tui", "--disable-env-server", "--save-results",
         "--output-dir", str(tmp_path), "-a", json.dumps(args)],
        capture_output=True, text=True, timeout=600, env=_env())
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    [meta] = tmp_path.glob("evals/*/*/metadata.json")
    rows = [json.loads(line) for line in (meta.parent / "results.jsonl").read_text().splitlines()]
    return json.loads(meta.read_text()), rows


def test_verifiers_load_environment_finds_the_package(goals_file, monkeypatch):
    from verifiers.legacy.utils.env_utils import load_environment

    monkeypatch.syspath_prepend(str(ENV_DIR))
    env = load_environment("sciplan-research-plans", goals=str(goals_file), grader="openai:fake@http://127.0.0.1:9/v1")
    rows = env.eval_dataset.to_list()
    assert len(rows) == 3 and env.env_id == "sciplan-research-plans"
    info = json.loads(rows[0]["info"])
    assert info["rubric"] and not any(item in json.dumps(rows[0]["prompt"]) for item in info["rubric"])
    names = env.rubric._get_reward_func_names()
    assert {"rubric_reward", "rubric_score", "format_penalty", "grade_failed"} <= set(names)


def test_vf_eval_rewards_rollouts_with_the_sciplan_grader(goals_file, tmp_path):
    with running(free_port()) as url:
        meta, rows = vf_eval(tmp_path, url, "fake", {"goals": str(goals_file), "grader": f"openai:fake@{url}", "limit": 2})
    assert meta["avg_reward"] == 1.0 and meta["avg_metrics"]["grade_failed"] == 0.0
    assert len(rows) == 4 and all(r["reward"] == 1.0 and r["rubric_score"] == 1.0 and not r["error"] for r in rows)


@pytest.mark.model
@pytest.mark.server
@pytest.mark.slow  # 40 s to 5 min on 2 cores; vf-eval against verifiers stays in `make test` with a fake grader
def test_vf_eval_with_the_bundled_model(goals_file, tmp_path, llama_server):
    args = {"goals": str(goals_file), "grader": "local:smollm2", "limit": 1, "max_words": 40}  # schema answers
    meta, rows = vf_eval(tmp_path, llama_server, "smollm2", args, n=1, r=2)
    assert len(rows) == 2
    for r in rows:
        assert -1.0 <= r["reward"] <= 1.0 and r["grade_failed"] in (0.0, 1.0)
        if not r["grade_failed"]:
            assert r["reward"] == pytest.approx(r["rubric_score"] - r["format_penalty"])
