"""Typed stage outputs: the trained model reaches evaluation as a field, from this run or a marker."""

from __future__ import annotations

import json

import pytest

from sciplan.errors import SciplanError
from sciplan.pipeline import PipelineConfig, StageReport, TrainOutput, stage_marker
from sciplan.pipeline.runner import _Context


def _context(tmp_path) -> _Context:
    cfg = PipelineConfig.model_validate({"name": "t", "out": str(tmp_path / "run"), "train": {"config": "x.yaml"}})
    return _Context(cfg, console=None)


def test_the_trained_model_comes_from_this_run_then_from_the_marker(tmp_path):
    ctx = _context(tmp_path)
    with pytest.raises(SciplanError, match="run the train stage first"):
        ctx.trained()
    report = StageReport(name="train", status="ran", train=TrainOutput(model="hf:runs/t/train/final", steps=2),
                         calls=4, prompt_tokens=10, completion_tokens=5, cost=0.25)
    ctx.reports["train"] = report
    assert ctx.trained().model == "hf:runs/t/train/final"
    marker = stage_marker(ctx.out, "train")
    marker.parent.mkdir(parents=True)
    marker.write_text(report.model_dump_json())
    fresh = _context(tmp_path)  # a later `sciplan run --from evaluate`
    assert fresh.trained() == TrainOutput(model="hf:runs/t/train/final", steps=2)
    back = StageReport.model_validate_json(marker.read_text())
    assert (back.calls, back.tokens, back.cost) == (4, 15, 0.25)


def test_a_marker_with_keys_it_does_not_know_still_reads(tmp_path):
    old = {"name": "train", "status": "ran", "tokens_in": 3, "outputs": {"model": "hf:x"}, "fingerprint": "f"}
    report = StageReport.model_validate_json(json.dumps(old))
    assert report.fingerprint == "f" and report.train is None
