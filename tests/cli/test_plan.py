"""`sciplan plan`: the co-scientist on the command line, with the real bundled model."""

import json
import os
import subprocess
import sys

from sciplan.jsonl import read_records
from sciplan.records import Goal, Plan

SCIPLAN = [sys.executable, "-m", "sciplan.cli.main"]


def run(*args, cwd=None, timeout=300):
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([*SCIPLAN, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def test_plan_for_a_typed_goal_prints_goal_and_plan():
    out = run("plan", "local:smollm2", "Test whether <b>mulch</b> raises tomato yield.", "--max-tokens", "40",
              "--max-words", "50", "--no-cache")
    assert out.returncode == 0, out.stderr
    assert "Test whether <b>mulch</b> raises tomato yield." in out.stdout  # model/user text printed verbatim
    assert "plan by local:smollm2" in out.stdout and "tokens, finish:" in out.stdout


def test_plan_for_a_goals_file_writes_plan_records_and_resumes(tmp_path):
    goals = [Goal(id=f"g{i}", text=f"Measure how {t} affects battery life.", rubric=["Has a control."])
             for i, t in enumerate(["screen brightness", "temperature"])]
    (tmp_path / "goals.jsonl").write_text("".join(g.to_json() + "\n" for g in goals) + "{broken\n")
    args = ("plan", "local:smollm2", "--goals", "goals.jsonl", "--out", "plans.jsonl", "--max-tokens", "24",
            "--samples", "2", "--no-cache")
    first = run(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "skipped 1 unreadable line" in first.stdout
    plans = read_records(tmp_path / "plans.jsonl", Plan)
    assert sorted((p.goal_id, p.sample) for p in plans) == [("g0", 0), ("g0", 1), ("g1", 0), ("g1", 1)]
    assert all(p.model == "local:smollm2" and p.tokens > 0 for p in plans)
    again = run(*args, cwd=tmp_path)
    assert again.returncode == 0 and "wrote 0 plan(s)" in again.stdout
    assert len((tmp_path / "plans.jsonl").read_text().splitlines()) == 4


def test_plan_errors_name_the_input(tmp_path):
    missing = run("plan", "local:smollm2", "--goals", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 1 and "nope.jsonl" in missing.stderr + missing.stdout
    both = run("plan", "local:smollm2")
    assert both.returncode == 1 and "--goals" in both.stderr + both.stdout
    bad_cfg = tmp_path / "plan.yaml"
    bad_cfg.write_text(json.dumps({"max_words": "many"}))
    cfg = run("plan", "local:smollm2", "goal", "--config", str(bad_cfg))
    assert cfg.returncode == 1 and "plan.yaml" in cfg.stderr + cfg.stdout
