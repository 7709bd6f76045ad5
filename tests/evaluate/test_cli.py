"""`sciplan eval` as a user runs it: the summary table, the report path, a free rerun, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCIPLAN = [sys.executable, "-m", "sciplan.cli.main"]


def run(*args, timeout=600):
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run([*SCIPLAN, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)


@pytest.mark.model
def test_eval_prints_summary_and_report_and_reruns_free(real_eval, tmp_path):
    # Same goal and settings as the session's real evaluation: every call is a cache hit.
    out = tmp_path / "eval"
    args = (
        "eval",
        "--goals",
        str(real_eval.goals_path),
        "--models",
        "local:smollm2",
        "--baseline",
        "local:smollm2",
        "--jury",
        "local:smollm2",
        "--out",
        str(out),
        "--config",
        str(real_eval.config_path),
    )
    first = run(*args)
    assert first.returncode == 0, first.stderr
    text = first.stdout
    assert "Evaluation over 1 goals" in text and "jury score" in text and "local:smollm2 (baseline)" in text
    assert f"report: {out / 'report.html'}" in text and (out / "report.html").is_file()
    assert "1 new plans, 2 new grades" in text  # the plan and the goal's reference (the paper authors row)
    assert "Traceback" not in first.stderr

    again = run(*args)
    assert again.returncode == 0
    assert "0 new plans, 0 new grades" in again.stdout
    assert "Model usage" not in again.stdout  # no model was called, not even the cache


@pytest.mark.parametrize(
    "extra,expected",
    [
        (("--goals", "{tmp}/none.jsonl"), "{tmp}/none.jsonl: no such goals file"),
        (("--models", "smollm2"), "model 'smollm2' has no provider"),
        (("--baseline", "local:other"), "baseline 'local:other' is not one of the models"),
        (("--config", "{tmp}/none.yaml"), "{tmp}/none.yaml: no such config file"),
        (("--human-labels", "{tmp}/labels.csv"), "{tmp}/labels.csv: no such human-label file"),
        (("--jury", "anthropic:claude-sonnet-4-5"), "ANTHROPIC_API_KEY"),
        (("--models", "local:/nonexistent/model.gguf"), "/nonexistent/model.gguf"),
    ],
)
def test_bad_inputs_give_one_clear_line(tmp_path, extra, expected, monkeypatch, capsys):
    # In process (the entry point `main`, as the console script runs it): no interpreter start per case.
    from sciplan.cli.main import main

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    goals = tmp_path / "goals.jsonl"
    goals.write_text('{"id": "g", "text": "A goal.", "rubric": ["An item."]}\n')
    args = ["eval", "--goals", str(goals), "--out", str(tmp_path / "out")]
    args += [a.format(tmp=tmp_path) for a in extra]
    monkeypatch.setattr(sys, "argv", ["sciplan", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    out = capsys.readouterr()
    assert expected.format(tmp=tmp_path) in " ".join(out.err.split())
    assert "Traceback" not in out.err + out.out
    # No model was called for a bad input.
    assert not (tmp_path / "out" / "plans.jsonl").exists()


def test_summary_table_shows_the_comparison_with_the_baseline(hand, tmp_path):
    from rich.console import Console

    from sciplan.cli.evaluate import summary_table
    from sciplan.evaluate import EvalConfig, EvalData, EvalResult, StatsConfig, build_tables

    data = EvalData.build(hand.goals, hand.plans, hand.grades)
    # The hand-worked models are named "A" and "B" (no provider): skip the spec validation.
    cfg = EvalConfig.model_construct(models=["A", "B"], baseline="A", jury=["J1", "J2"], stats=StatsConfig())
    tables = build_tables(data, models=["A", "B"], baseline="A")
    result = EvalResult(
        out=tmp_path, config=cfg, data=data, tables=tables, report=tmp_path / "report.html", table_files=[]
    )
    console = Console(record=True, width=200)
    console.print(summary_table(result))
    text = console.export_text()
    base = next(line for line in text.splitlines() if line.startswith("A (baseline)"))
    other = next(line for line in text.splitlines() if line.startswith("B "))
    assert "0.333 [" in base and "—" in base
    # Jury per goal A .5/.25/.25, B 1/.25/.75: better on 2, equal on 1; (2/3 - 1/3) / (1/3) = +100%.
    assert "0.667 [" in other and "2/1/0" in other and "83.3% [" in other and "+100.0% [" in other
    assert "0.5000" in other  # the sign test: 2 wins, 0 losses
