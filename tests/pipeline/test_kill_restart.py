"""Kill `sciplan run` mid-stage (SIGKILL, a real subprocess), start it again: same files, no repeated calls."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAPERS = ROOT / "src" / "sciplan" / "data" / "demo_papers"

pytestmark = pytest.mark.model


def _lines(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _run(cfg: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.Popen([sys.executable, "-m", "sciplan.cli.main", "run", str(cfg)], cwd=cfg.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, **kw)


@pytest.mark.slow  # kills and restarts a real extraction: ~2 min on 2 cores; `make test-slow`
def test_killed_mid_extract_then_restarted_finishes_without_repeating_finished_papers(tmp_path):
    papers = tmp_path / "papers"
    papers.mkdir()
    for name in ("loss-variance-curriculum.md", "sms-adherence-pilot.xml"):
        shutil.copy(PAPERS / name, papers / name)
    extract = yaml.safe_load((ROOT / "configs" / "extract" / "demo.yaml").read_text())
    # No response cache: a repeated request would be a real, counted model call.
    extract["settings"].update(cache=False, n_threads=1)
    extract["creator"]["candidates"] = 1
    (tmp_path / "extract.yaml").write_text(yaml.safe_dump(extract))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({"name": "killme", "out": "run", "ingest": {"inputs": ["papers"]},
                                   "extract": {"config": "extract.yaml"}}))
    out = tmp_path / "run"
    log = out / "extract" / "extract_log.jsonl"

    proc = _run(cfg)
    deadline = time.monotonic() + 600
    while not _lines(log) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, f"the run ended before it could be killed:\n{proc.stdout.read()}"
    os.killpg(proc.pid, signal.SIGKILL)  # mid-stage: one paper done, the other in flight
    proc.wait()
    finished_before = {e["id"]: e for e in _lines(log)}
    assert len(finished_before) == 1
    goals_before = (out / "extract" / "goals.jsonl").read_text() if (out / "extract" / "goals.jsonl").exists() else ""
    assert (out / "stages" / "ingest.json").is_file() and not (out / "stages" / "extract.json").exists()

    again = _run(cfg)
    output, _ = again.communicate(timeout=900)
    assert again.returncode == 0, output
    summary = {s["name"]: s for s in json.loads((out / "summary.json").read_text())}
    assert summary["ingest"]["status"] == "done earlier" and summary["ingest"]["calls"] == 0
    assert summary["extract"]["status"] == "ran"
    entries = _lines(log)
    assert sorted(e["id"] for e in entries) == sorted({e["id"] for e in entries})  # one line per paper
    assert len(entries) == 2
    new = [e for e in entries if e["id"] not in finished_before]
    # The restart's model calls are exactly those of the paper that had not finished.
    assert summary["extract"]["calls"] == sum(e["calls"] for e in new) > 0
    goals_after = (out / "extract" / "goals.jsonl").read_text()
    assert goals_after.startswith(goals_before)  # nothing written before the kill was lost or rewritten
    goal_ids = [g["id"] for g in _lines(out / "extract" / "goals.jsonl")]
    assert len(goal_ids) == len(set(goal_ids))

    third = _run(cfg)
    output, _ = third.communicate(timeout=300)
    assert third.returncode == 0, output
    rerun = json.loads((out / "summary.json").read_text())
    assert [s["status"] for s in rerun] == ["done earlier", "done earlier"]
    assert (out / "extract" / "goals.jsonl").read_text() == goals_after
