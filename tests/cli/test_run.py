"""`sciplan run`: the summary a user sees, and errors that name the input."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCIPLAN = [sys.executable, "-m", "sciplan.cli.main"]


def run(*args, cwd):
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([*SCIPLAN, *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd)


def test_run_prints_what_each_stage_wrote_and_skips_on_rerun(tmp_path):
    papers = ROOT / "src" / "sciplan" / "data" / "demo_papers"
    (tmp_path / "run.yaml").write_text(f"name: cli\nout: out\ningest:\n  inputs: ['{papers}']\n")
    first = run("run", "run.yaml", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Run summary" in first.stdout and "ingest: wrote out/ingest/papers.jsonl (3)" in first.stdout
    again = run("run", "run.yaml", cwd=tmp_path)
    assert again.returncode == 0 and "done earlier" in again.stdout


def test_run_errors_name_the_input(tmp_path):
    missing = run("run", "nope.yaml", cwd=tmp_path)
    assert missing.returncode == 1 and "nope.yaml" in missing.stderr + missing.stdout
    (tmp_path / "run.yaml").write_text("name: x\ningest: {inputs: [p]}\n")
    bad_stage = run("run", "run.yaml", "--from", "training", cwd=tmp_path)
    assert bad_stage.returncode == 1 and "unknown stage 'training'" in bad_stage.stderr + bad_stage.stdout
    empty = run("run", "run.yaml", cwd=tmp_path)  # the only input does not exist: nothing to go on with
    assert empty.returncode == 1 and "ingest wrote no papers" in empty.stderr + empty.stdout
