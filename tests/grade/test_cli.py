"""`sciplan grade` as a user runs it: a real subprocess, the real bundled model and server."""

import os
import subprocess
import sys

import pytest

from sciplan.jsonl import append_records, read_records
from sciplan.records import Failure, Grade, Plan

SCIPLAN = [sys.executable, "-m", "sciplan.cli.main"]
# The bundled model needs schema answers, also behind an OpenAI-style server.
CONFIG = ("grader:\n  answer: schema\n  max_tokens: 300\n  excerpt_chars: 24\n  reason_chars: 24\n"
          "reward:\n  max_plan_length: 200\n")


def run(*args, timeout=300):
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run([*SCIPLAN, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def files(tmp_path, goal, make_plan):
    append_records(tmp_path / "goals.jsonl", [goal])
    orphan = Plan(id="orphan", goal_id="no-such-goal", model="m", text="x")
    append_records(tmp_path / "plans.jsonl", [make_plan(), orphan])
    (tmp_path / "grading.yaml").write_text(CONFIG)
    return tmp_path


@pytest.mark.model
@pytest.mark.server
def test_grade_with_a_jury_writes_grades_prints_the_table_and_resumes(files, llama_server):
    jury = f"local:smollm2,openai:smollm2@{llama_server}"
    args = ("grade", "--goals", str(files / "goals.jsonl"), "--plans", str(files / "plans.jsonl"),
            "--jury", jury, "--config", str(files / "grading.yaml"), "--no-cache")
    out = run(*args)
    assert out.returncode == 0, out.stderr
    grades = read_records(files / "grades.jsonl", Grade)
    assert sorted(g.grader for g in grades) == sorted(jury.split(","))
    assert all(g.plan_id == "p0" and (g.failed or g.reward == g.score) for g in grades)
    for text in ("mean score", "G7 Meets the goal's constraints", "Model usage", "wrote 2 grade(s)", "local:smollm2"):
        assert text in out.stdout, out.stdout
    # The plan whose goal is missing is reported and listed, not fatal.
    assert "1 plan(s) name a goal not in" in out.stdout
    assert read_records(files / "failures.jsonl", Failure)[0].input == "plan orphan"
    again = run(*args)
    assert again.returncode == 0 and "wrote 0 grade(s)" in again.stdout and "2 already there" in again.stdout
    assert len(read_records(files / "grades.jsonl", Grade)) == 2


@pytest.mark.parametrize("setup,args,expected", [
    (None, ("--goals", "{d}/missing.jsonl", "--plans", "{d}/plans.jsonl"), "missing.jsonl: no such goals file"),
    ("garbage", ("--goals", "{d}/goals.jsonl", "--plans", "{d}/bad.jsonl"), "bad.jsonl: no valid Plan records"),
    ("badconfig", ("--goals", "{d}/goals.jsonl", "--plans", "{d}/plans.jsonl", "--config", "{d}/c.yaml"), "c.yaml: invalid GradingConfig"),
    (None, ("--goals", "{d}/goals.jsonl", "--plans", "{d}/plans.jsonl", "--protocol", "nope"),
     "known protocols are paper, papergym, sciplan"),
])
def test_bad_input_is_one_clear_line_naming_the_file(files, setup, args, expected):
    if setup == "garbage":
        (files / "bad.jsonl").write_text('not json\n{"id": "x"}\n')
    if setup == "badconfig":
        (files / "c.yaml").write_text("grader:\n  variant: stars\n")
    out = run("grade", *(a.format(d=files) for a in args))
    assert out.returncode == 1 and expected in out.stderr.replace("\n", " "), out.stderr
    assert "Traceback" not in out.stderr + out.stdout
