"""The whole stage through `sciplan extract` on the real bundled model over real corpus papers.

A 135M model writes poor goals; the contract tested is that they are valid `Goal`s with a
filtered rubric and every selector score, that a paper with no text is recorded as a
failure while the rest go on, and that a rerun makes no model call.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sciplan.cli.main import app
from sciplan.extract import ExtractPaths, PaperLog, read_goals
from sciplan.jsonl import append_records, read_records
from sciplan.papers import read_path
from sciplan.records import Failure, Goal, Paper

pytestmark = pytest.mark.model

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pmc"

# Small enough for two papers in well under a minute on two idle cores: one candidate,
# three preliminary items kept to two, short strings, leakage by similarity only.
# One thread: llama.cpp's spinning threads collapse when the cores are shared.
TINY = {
    "creator": {"candidates": 1, "min_items": 2, "max_items": 3, "goal_chars": 150, "item_chars": 60,
                "reference_chars": 150, "max_tokens": 300, "retries": 1,
                "context": {"budget_tokens": 400, "min_section_tokens": 40}},
    "selector": {"top_k": 2, "reason_chars": 24, "items_max_tokens": 150, "checks_max_tokens": 250, "retries": 1,
                 "grader": {"max_tokens": 200, "excerpt_chars": 24, "reason_chars": 24, "retries": 1}},
    "leakage": {"use_model": False, "similarity_threshold": 0.8},
    "embeddings": {"kind": "lexical"},
    "concurrency": 1,
    "settings": {"n_ctx": 2048, "n_threads": 1, "cache": False, "max_retries": 1},
}
SCORES = {"goal", "rubric", "reference", "average", "items.quality", "rubric.checks", "leakage",
          "goal.self_contained", "goal.states_constraints", "goal.no_solution",
          "rubric.specific", "rubric.checkable", "rubric.relevant", "rubric.non_redundant"}


def load(name: str) -> Paper:
    paper = read_path(CORPUS / name)
    return paper[0] if isinstance(paper, list) else paper


def test_extract_real_papers_with_the_bundled_model(tmp_path):
    papers = [load("pone.0046493.nxml"), load("ehp-116-1694.nxml"),
              Paper(id="empty-1", title="A paper with no text")]
    append_records(tmp_path / "papers.jsonl", papers)
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    args = ["extract", str(tmp_path / "papers.jsonl"), "--config", str(tmp_path / "tiny.yaml"),
            "--out", str(tmp_path / "goals.jsonl")]
    runner = CliRunner()
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, (result.output, result.exception)
    assert "3 paper(s) processed" in result.output

    paths = ExtractPaths.beside(tmp_path / "goals.jsonl")
    log = {e.id: e for e in read_records(paths.log, PaperLog)}
    assert set(log) == {p.id for p in papers} and log["empty-1"].outcome == "failed"
    failures = read_records(paths.failures, Failure)
    assert any("empty-1" in f.input and "no text to extract" in f.error for f in failures)
    # Every real paper is accounted for: accepted, or recorded with the reason.
    for p in papers[:2]:
        assert log[p.id].outcome == "accepted" or any(p.id in f.input for f in failures)
        assert log[p.id].calls > 0 and log[p.id].completion_tokens > 0

    goals = read_records(paths.goals, Goal)
    assert goals, "the bundled model produced no acceptable goal"
    for g in goals:
        assert g.paper_id in {p.id for p in papers[:2]} and g.domain == "medical" and g.date is not None
        assert 1 <= len(g.rubric) <= 2 and all(0 < len(i) <= 60 for i in g.rubric) and 0 < len(g.text) <= 150
        assert g.reference and len(g.reference) <= 150
        assert SCORES <= set(g.scores) and all(0.0 <= v <= 1.0 for v in g.scores.values())
        assert len(g.meta["items"]) >= len(g.rubric) and g.meta["reference_grade"]["items"]
        assert Goal.model_validate_json(g.to_json()) == g
    assert read_goals(tmp_path / "goals.jsonl") == goals

    # A rerun: every paper is skipped, no model call is made.
    again = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "0 paper(s) processed, 3 skipped" in " ".join(again.output.split())
    assert "0 model call(s)" in " ".join(again.output.split())
    assert len(read_records(paths.log, PaperLog)) == 3

    stats = runner.invoke(app, ["dataset", "stats", str(tmp_path / "goals.jsonl")], env={"COLUMNS": "200"})
    assert stats.exit_code == 0 and "tokens per accepted goal" in stats.output
