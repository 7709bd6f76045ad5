"""A local model server that crashes mid-run: the stage is recorded as failed with the cause,
earlier stages and what was written stay, and the stage has no marker so a rerun resumes it."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

import sciplan.llm.backends.local as local
from sciplan.llm import LocalServerCrashedError, close_models
from sciplan.llm.server import LocalServer, ServerOptions
from sciplan.pipeline import load_pipeline_config, run_pipeline, stage_marker

PAPERS = Path(__file__).resolve().parents[2] / "src" / "sciplan" / "data" / "demo_papers"


def test_a_crashed_local_model_fails_the_stage_with_the_reason(tmp_path, monkeypatch):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    crash = (sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGILL)")
    monkeypatch.setattr(local, "local_server", lambda opts: LocalServer(ServerOptions(model=opts.model, command=crash)))
    (tmp_path / "extract.yaml").write_text(json.dumps({"creator": {"model": f"local:{gguf}", "retries": 0}}))
    cfg_path = tmp_path / "run.yaml"
    cfg_path.write_text(json.dumps({"name": "t", "out": str(tmp_path / "run"), "ingest": {"inputs": [str(PAPERS)]},
                                    "extract": {"config": "extract.yaml"}}))
    cfg = load_pipeline_config(cfg_path)
    with pytest.raises(LocalServerCrashedError, match="SIGILL"):
        run_pipeline(cfg)
    run = tmp_path / "run"
    summary = json.loads((run / "summary.json").read_text())
    assert [s["status"] for s in summary] == ["ran", "failed"]
    assert summary[1]["name"] == "extract" and "illegal instruction" in summary[1]["error"]
    assert stage_marker(run, "ingest").is_file() and not stage_marker(run, "extract").exists()
    assert len((run / "ingest" / "papers.jsonl").read_text().splitlines()) == 3
    asyncio.run(close_models())
