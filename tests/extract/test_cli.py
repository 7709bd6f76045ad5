"""`sciplan dataset import|export|split|mix|stats` and `sciplan extract` errors, on files the tests build."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pyarrow.parquet as pq
from typer.testing import CliRunner

from helpers.extract_judge import ML_ROWS, build_release
from sciplan.cli.main import app
from sciplan.extract import PaperLog, read_goals, write_goals
from sciplan.jsonl import append_records
from sciplan.records import Goal

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, (result.output, result.exception)
    return " ".join(result.output.replace("│", " ").split())


def test_import_export_split_mix(tmp_path):
    release = build_release(tmp_path / "release")
    out = invoke("dataset", "import", release, "--out", tmp_path / "goals.jsonl")
    assert "wrote 3 goal(s)" in out
    goals = read_goals(tmp_path / "goals.jsonl")
    assert [g.paper_id for g in goals] == ["or:abc", "or:def", "PMC2599765"]

    invoke("dataset", "export", tmp_path / "goals.jsonl", "--to", tmp_path / "rpg", "--format", "rpg")
    assert pq.read_table(tmp_path / "rpg" / "ml" / "train" / "part-00000.parquet").to_pylist() == ML_ROWS
    invoke("dataset", "export", tmp_path / "goals.jsonl", "--to", tmp_path / "goals.parquet")
    assert read_goals(tmp_path / "goals.parquet") == goals

    dated = [g.model_copy(update={"date": date(2025, 9, 1) if g.domain == "medical" else date(2024, 1, 1)})
             for g in goals]
    write_goals(dated, tmp_path / "dated.jsonl")
    invoke("dataset", "split", tmp_path / "dated.jsonl", "--out", tmp_path / "split", "--cutoff", "2025-08-01")
    assert [g.paper_id for g in read_goals(tmp_path / "split" / "test.jsonl")] == ["PMC2599765"]
    assert len(read_goals(tmp_path / "split" / "train.jsonl")) == 2

    invoke("dataset", "mix", tmp_path / "goals.jsonl", "--ratio", "ml=1", "--ratio", "medical=1",
           "--out", tmp_path / "mixed.jsonl")
    assert sorted(g.domain for g in read_goals(tmp_path / "mixed.jsonl")) == ["medical", "ml"]


def test_stats_reads_the_stage_files(tmp_path):
    base = dict(text="Find out whether watering frequency changes tomato yield in one season.", domain="q-bio")
    goals = [
        Goal(id="g1", paper_id="p1", rubric=["a", "b", "c"], scores={"average": 0.5},
             meta={"leakage": {"items": [{"leaked": True}, {"leaked": False}, {"leaked": False}]}}, **base),
        Goal(id="g2", paper_id="p2", rubric=["a"], scores={"average": 0.7},
             meta={"leakage": {"items": [{"leaked": False}]}},
             **{**base, "text": "Measure the thermal conductivity of graphene foams at room temperature."}),
    ]
    append_records(tmp_path / "goals.jsonl", goals)
    append_records(tmp_path / "duplicates.jsonl", [goals[0].model_copy(update={"id": "g3", "paper_id": "p3"})])
    append_records(tmp_path / "extract_log.jsonl", [
        PaperLog(id="p1", outcome="accepted", prompt_tokens=900, completion_tokens=100),
        PaperLog(id="p2", outcome="accepted", prompt_tokens=500, completion_tokens=100),
        PaperLog(id="p3", outcome="duplicate", prompt_tokens=300, completion_tokens=100),
        PaperLog(id="p4", outcome="failed", prompt_tokens=100, completion_tokens=0),
    ])
    out = invoke("dataset", "stats", tmp_path / "goals.jsonl")
    assert "2 from 2 paper(s)" in out and "min 1, mean 2.0, max 3" in out
    assert "leakage rate 25.0% (recorded)" in out
    assert "duplicate rate 33.3% (0 near-duplicate(s) in the dataset, 1 dropped by the stage)" in out
    assert "tokens per accepted goal 1,050 (all papers" in out  # (1000 + 600 + 400 + 100) / 2


def test_stats_of_an_imported_dataset_measures_leakage_by_similarity(tmp_path):
    goal = "Test whether intermediate layers predict answer correctness."
    append_records(tmp_path / "g.jsonl", [
        Goal(id="a", paper_id="x", text=goal, rubric=["Tests whether intermediate layers predict answer correctness.",
                                                      "Trains probes."]),
        Goal(id="b", paper_id="y", text=goal + " ", rubric=["Uses held-out datasets."]),
    ])
    out = invoke("dataset", "stats", tmp_path / "g.jsonl")
    assert "leakage rate 33.3% (similarity)" in out and "duplicate rate 50.0% (1 near-duplicate(s)" in out


def test_extract_errors_name_the_input(tmp_path):
    (tmp_path / "papers.jsonl").write_text('{"not": "a paper"}\n')
    cmd = [sys.executable, "-m", "sciplan.cli.main", "extract"]
    for args, expected in [
        ([str(tmp_path / "missing.jsonl")], "missing.jsonl: no such papers file"),
        ([str(tmp_path / "papers.jsonl")], "papers.jsonl: no valid Paper records"),
    ]:
        res = subprocess.run(cmd + args, capture_output=True, text=True, timeout=120, env={"COLUMNS": "200",
                             "PATH": "/usr/bin:/bin"})
        assert res.returncode == 1 and expected in " ".join(res.stderr.split()), res.stderr
    assert json.loads((tmp_path / "papers.jsonl").read_text())
