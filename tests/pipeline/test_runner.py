"""The pipeline runner on real files: markers, skipping, reruns when settings change."""

import json
import shutil
from pathlib import Path

from sciplan.pipeline import load_pipeline_config, run_pipeline, stage_marker

ROOT = Path(__file__).resolve().parents[2]
PAPERS = ROOT / "src" / "sciplan" / "data" / "demo_papers"


def _config(tmp_path: Path, inputs: list[str]) -> Path:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(json.dumps({"name": "t", "out": str(tmp_path / "run"), "ingest": {"inputs": inputs}}))
    return cfg


def test_ingest_stage_writes_marker_and_a_rerun_skips_it(tmp_path):
    papers = tmp_path / "papers"
    shutil.copytree(PAPERS, papers)
    cfg = load_pipeline_config(_config(tmp_path, [str(papers), str(tmp_path / "missing.pdf")]))
    [first] = run_pipeline(cfg)
    assert first.status == "ran"
    assert first.wrote["ingest/papers.jsonl"] == 3 and first.wrote["ingest/failures.jsonl"] == 1
    assert "missing.pdf" in (tmp_path / "run" / "ingest" / "failures.jsonl").read_text()
    marker = json.loads(stage_marker(tmp_path / "run", "ingest").read_text())
    assert marker["fingerprint"] == first.fingerprint
    [again] = run_pipeline(cfg)
    assert again.status == "done earlier" and again.wrote == first.wrote and again.seconds == 0 == again.calls
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert [s["status"] for s in summary] == ["done earlier"]


def test_a_changed_input_runs_the_stage_again_and_keeps_what_was_written(tmp_path):
    papers = tmp_path / "papers"
    shutil.copytree(PAPERS, papers)
    cfg = load_pipeline_config(_config(tmp_path, [str(papers)]))
    run_pipeline(cfg)
    before = (tmp_path / "run" / "ingest" / "papers.jsonl").read_text()
    (papers / "extra.md").write_text("---\ntitle: Extra\n---\n## Methods\n" + "We measure things carefully. " * 20)
    [again] = run_pipeline(cfg)
    assert again.status == "ran" and again.wrote["ingest/papers.jsonl"] == 4
    after = (tmp_path / "run" / "ingest" / "papers.jsonl").read_text()
    assert after.startswith(before)  # appended, nothing rewritten


def test_a_stage_without_marker_runs_again(tmp_path):
    cfg = load_pipeline_config(_config(tmp_path, [str(PAPERS)]))
    run_pipeline(cfg)
    stage_marker(tmp_path / "run", "ingest").unlink()  # as if killed before the marker was written
    [again] = run_pipeline(cfg)
    assert again.status == "ran" and "0 new, 3 already there" in again.notes[0]


def test_a_missing_or_broken_stage_config_stops_the_run_before_the_first_stage(tmp_path):
    """A missing extract config once surfaced only when its stage started, possibly hours in."""
    import pytest

    from sciplan.errors import SciplanError

    papers = tmp_path / "papers"
    shutil.copytree(PAPERS, papers)
    broken = tmp_path / "extract.yaml"
    broken.write_bytes("creator: {samples: 2} # r\xe9sum\xe9".encode("latin-1"))
    for stage_config, message in ((tmp_path / "missing.yaml", "no such config file"), (broken, "not a UTF-8")):
        cfg = tmp_path / "run.yaml"
        cfg.write_text(json.dumps({"name": "t", "out": str(tmp_path / "run"), "ingest": {"inputs": [str(papers)]},
                                   "extract": {"config": str(stage_config)}}))
        with pytest.raises(SciplanError, match=f"{stage_config}: {message}"):
            run_pipeline(load_pipeline_config(cfg))
        assert not (tmp_path / "run" / "ingest").exists()  # the ingest stage never started
