"""`sciplan ingest` as a user runs it: a real subprocess on the real PMC corpus and hostile files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCIPLAN = [sys.executable, "-m", "sciplan.cli.main"]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*SCIPLAN, *args], capture_output=True, text=True, timeout=120, env=env)


def test_ingest_corpus_twice_second_run_skips_all(corpus, tmp_path):
    out = tmp_path / "runs" / "demo" / "papers.jsonl"
    first = run("ingest", str(corpus), "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert "3 written, 0 skipped (already there), 0 filtered, 0 failed" in first.stdout
    assert str(out) in first.stdout
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == ["pmc:PMC2599765", "pmc:PMC3166277", "pmc:PMC3460867"]

    second = run("ingest", str(corpus), "--out", str(out))
    assert second.returncode == 0, second.stderr
    assert "0 written, 3 skipped (already there), 0 filtered, 0 failed" in second.stdout
    assert len(out.read_text().splitlines()) == 3


def test_bad_inputs_go_to_failures_and_the_run_continues(corpus, two_column_pdf, tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(two_column_pdf[:5000])
    out = tmp_path / "papers.jsonl"
    failures = tmp_path / "custom-failures.jsonl"
    result = run("ingest", str(bad), "pmc:not-an-id", str(corpus / "ehp-116-1694.nxml"), "--out", str(out),
                 "--failures", str(failures), "--license", "public-domain")
    assert result.returncode == 0, result.stderr
    assert "1 written" in result.stdout and "2 failed" in result.stdout and str(failures) in result.stdout
    lines = [json.loads(line) for line in failures.read_text().splitlines()]
    assert [f["input"] for f in lines] == [str(bad), "pmc:not-an-id"]
    assert all(f["stage"] == "ingest" and f["input"] in f["error"] for f in lines)


def test_filter_options_and_their_errors(corpus, tmp_path):
    out = tmp_path / "papers.jsonl"
    result = run("ingest", str(corpus), "--out", str(out), "--from-date", "2012-01-01")
    assert "1 written" in result.stdout and "2 filtered" in result.stdout
    assert "filtered: " in result.stdout and "before 2012-01-01" in result.stdout

    bad = run("ingest", str(corpus), "--out", str(out), "--domain", "alchemy")
    assert bad.returncode == 1 and "unknown domain 'alchemy'" in bad.stderr and "Traceback" not in bad.stderr
    bad = run("ingest", str(corpus), "--out", str(out), "--to-date", "yesterday")
    assert bad.returncode == 1 and "--to-date 'yesterday': use YYYY-MM-DD" in bad.stderr


def test_help_documents_the_query_syntax():
    result = run("ingest", "--help")
    assert result.returncode == 0
    for example in ("arxiv:cs.LG,stat.ML?from=", "pmc:PMC", "pmc-query:", "openreview:NeurIPS.cc/2024/Conference"):
        assert example in result.stdout
